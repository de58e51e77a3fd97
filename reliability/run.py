"""``make reliability``: the platform on its production backend (PostgreSQL on
127.0.0.1:5432 or ``$DATABASE_URL``, and the Kafka-protocol broker the harness starts,
reached by every service through a TCP proxy), then faults under load, a soak, bad
input, attacks on access and a leak scan; a table per case on stdout and
``reliability/results/latest.json``. Exit status 1 when anything was lost or duplicated
or any case failed.

    python -m reliability.run [--soak-minutes 10] [--only faults,soak,badinput,attacks]

Plug-in interface (part B: ``reliability/badinput.py``, ``reliability/attacks.py``)
---------------------------------------------------------------------------------
Each part is a module exposing::

    async def run(stack: reliability.stack.Platform, report: reliability.report.Report) -> None

It is awaited once, after the faults and the soak, before the leak scan, on the same
running platform. It must not stop services it did not start; an exception it raises is
recorded as a failed case named after the module (the run goes on).

``stack`` (``reliability.stack.Platform``) gives:

- ``stack.urls``: ``{"intake": "http://127.0.0.1:port", "regional-decision": ...,
  "residence-decision": ..., "consultation": ..., "onss-feed": ..., "retention": ...}``
- ``stack.tokens``: ``tests.support.Tokens`` signed by the key the platform trusts
  (``.header(Authority.VLG, "officer-1")``, ``.issue(authority=..., subject=..., ttl=...)``,
  ``.employer()``, ``.for_audience("other")``); ``stack.public_key_file``: the PEM of the
  verification key (for the HS256-with-public-key attack).
- ``stack.kafka_bootstrap``: the broker's own address (not proxied), to publish poison
  messages with aiokafka; ``stack.topic("intake")`` -> the namespaced topic name,
  ``stack.group("regional-decision")`` -> the namespaced consumer-group prefix,
  ``stack.dead_letter_topics()`` -> the dead-letter topics that exist now.
- ``stack.database_url``, ``stack.schema("intake")`` (namespaced schema name).
- ``stack.log_dir``: every service's stdout/stderr is in ``<log_dir>/<service>.log``.
- ``await stack.restart("consultation")``, ``stack.kill("intake")`` (SIGKILL).
- ``reliability.load.new_application(report)``: a valid filing form with fresh personal
  values, each registered with ``report.personal`` for the leak scan.

``report`` (``reliability.report.Report``) takes:

- ``report.personal(*values)``: every personal value or reason you submit (NISS, names,
  e-mails, refusal reasons, free text): the leak scan looks for each, literally and in
  base64, in logs, spans, topics, dead-letter topics and error bodies.
- ``report.error_body(where, body)``: every 4xx/5xx body you receive (``where`` says
  which request, e.g. ``"POST intake /applications"``), scanned for leaks at the end.
- ``report.attack(name, refused=..., total=..., failures=[...])``: one row per case
  (``failures``: a short reason per case that was not refused; the case fails when
  ``refused < total`` or ``failures`` is not empty).
- ``report.case(name, ok=..., failures=[...], **figures)``: any other row (figures are
  numbers, shown in the table and kept in the JSON).
"""
