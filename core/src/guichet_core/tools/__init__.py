"""Developer and operator tools: the `guichet` command, the demo, tokens."""
