"""The shared stores every service opens: the key store (vault), the e-box,
notifications, blind indexes, idempotency keys, and the purge of a dossier's rows."""
