"""Consultation: need-to-know views of dossiers and the access log (Art. 11, 21-26)."""
