"""The Kafka topics of the platform: one constant each, so a topic is named once.

Each service publishes its own events on one topic and reads the others' (Art. 8: the
platform's exchange of data between the authorities). The ``.vN`` suffix is the topic's
version, not an event's: a topic whose meaning changes is a new topic. The settings
may prefix the names (``ServiceSettings.named``), e.g. to isolate a test run.
"""

from __future__ import annotations

INTAKE_TOPIC = "guichet.intake.v1"  # filings and supplied documents
REGIONAL_DECISION_TOPIC = "guichet.regional-decision.v1"  # the regions' decisions
RESIDENCE_DECISION_TOPIC = "guichet.residence-decision.v1"  # the Immigration Office's
ONSS_FEED_TOPIC = "guichet.onss-feed.v1"  # DIMONA, LIMOSA, DmfA and INASTI records
CONSULTATION_TOPIC = "guichet.consultation.v1"
RETENTION_TOPIC = "guichet.retention.v1"  # appeals and purges (Art. 27)
ACCESS_REFUSALS_TOPIC = "guichet.access-refusals.v1"  # refused attempts (Art. 29)

ALL_TOPICS = (
    INTAKE_TOPIC,
    REGIONAL_DECISION_TOPIC,
    RESIDENCE_DECISION_TOPIC,
    ONSS_FEED_TOPIC,
    CONSULTATION_TOPIC,
    RETENTION_TOPIC,
    ACCESS_REFUSALS_TOPIC,
)
