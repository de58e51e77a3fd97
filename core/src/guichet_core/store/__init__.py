"""The event store: ``records`` (what is stored), ``sql`` (the port and its PostgreSQL
and SQLite adapters, the outbox, the processed-message record), ``database`` (engines
and migrations), ``tables``. Import from those modules: this package re-exports nothing,
so that importing a record type never drags in the adapters (and their imports)."""
