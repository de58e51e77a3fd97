"""What the feed follows: intake's filings, to link each dossier by its worker's NISS
blind index (``linking``), so records find the dossiers they concern (Art. 14)."""

from __future__ import annotations

from guichet_contracts.topics import INTAKE_TOPIC
from guichet_core.service import SubscriptionSpec
from guichet_onss_feed.linking import bind

SUBSCRIPTIONS = [SubscriptionSpec(group="onss-feed.links", topics=[INTAKE_TOPIC], bind=bind)]
