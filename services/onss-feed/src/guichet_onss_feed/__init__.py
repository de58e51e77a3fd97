"""ONSS feed: DIMONA, LIMOSA, DmfA and INASTI data flowing into dossiers (Art. 14)."""
