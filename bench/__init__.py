"""``make bench``: throughput and latency of Guichet on PostgreSQL + Kafka and embedded.

Entry point: ``python -m bench.run`` (see ``bench/run.py``); results in
``bench/results/latest.json``.
"""
