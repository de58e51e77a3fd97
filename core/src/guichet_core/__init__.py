"""Guichet's shared plumbing, kept small on purpose.

- ``store``: the event store port, its SQL adapters (PostgreSQL, SQLite), the
  transactional outbox and the processed-message record (one unit of work).
- ``relay``: publishes the outbox in order, retrying with backoff.
- ``bus``: the bus port and its adapters (Kafka, embedded log).
- ``consumer``: idempotent consumption with retries and a dead-letter topic.
- ``codec``: domain events <-> CloudEvents binary-mode messages.
- ``tracing``: OpenTelemetry set-up and context propagation through messages.
- ``service``: the FastAPI application skeleton every service uses.
- ``testing``: the pytest harness (real PostgreSQL, real Kafka-protocol broker).
"""
