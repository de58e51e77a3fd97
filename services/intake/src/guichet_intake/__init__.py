"""Intake: the online filing of applications (Art. 2 §1 1°, Art. 19-20)."""
