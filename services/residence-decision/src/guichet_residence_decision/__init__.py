"""Residence decision: the Immigration Office's part of a single permit (Art. 12 §1)."""
