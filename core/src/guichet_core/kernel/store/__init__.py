"""The event store: ``records`` (what is stored), ``sql`` (the port, the SQLite adapter),
``postgres`` (the PostgreSQL adapter), ``unit_of_work`` (a transaction's appends, outbox
rows and processed-message records), ``database`` (engines and migrations), ``tables``.
Import from those modules: this package re-exports nothing, so that importing a record
type never drags in the adapters (and their imports)."""
