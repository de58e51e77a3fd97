"""The kernel: event store and outbox, bus, consumer, relay, codec, tracing,
retry, settings. It imports no shared store, no HTTP edge and no tool."""
