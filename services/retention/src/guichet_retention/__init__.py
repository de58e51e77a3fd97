"""Retention: deletion schedule and data-subject rights (Art. 27-29)."""
