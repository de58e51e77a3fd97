"""``make reliability``: faults, soak, bad input, attacks and a leak scan against the
production backend (PostgreSQL + a Kafka-protocol broker); see ``reliability.run``."""
