"""Regional decision: admissibility and the work part, by the competent region (Art. 9, 12 §1)."""
