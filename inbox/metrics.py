"""Prometheus metrics of the service: SMTP replies, mails by outcome, processing time, backlog,
webhook deliveries.

Processing happens in the worker process; it reports each mail's outcome and duration to
the parent over its wake-up socket (`WorkerProcess`), so one registry in the serving
process holds every figure and no multiprocess files are needed.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

PROCESSING_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    def __init__(self, *, backlog: Callable[[], int]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._replies = Counter(
            "inbox_smtp_replies", "SMTP replies sent, by code", ["code"], registry=self.registry
        )
        self._messages = Counter(
            "inbox_messages",
            "Mails accepted (received) and processed, by status",
            ["status"],
            registry=self.registry,
        )
        self._processing = Histogram(
            "inbox_processing_seconds",
            "Time to process one mail in the worker",
            buckets=PROCESSING_BUCKETS,
            registry=self.registry,
        )
        self._deliveries = Counter(
            "inbox_webhook_deliveries",
            "Webhook delivery attempts, by outcome (delivered, retrying, failed, gone, lost)",
            ["outcome"],
            registry=self.registry,
        )
        self.registry.register(_Backlog(backlog))

    def smtp_reply(self, code: str) -> None:
        self._replies.labels(code=code).inc()

    def accepted(self, count: int) -> None:
        self._messages.labels(status="received").inc(count)

    def processed(self, status: str, seconds: float) -> None:
        self._messages.labels(status=status).inc()
        self._processing.observe(seconds)

    def webhook_delivery(self, outcome: str) -> None:
        self._deliveries.labels(outcome=outcome).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Backlog(Collector):
    """Read at scrape time: other processes (more workers, other hosts) change it too."""

    def __init__(self, count: Callable[[], int]) -> None:
        self._count = count

    def collect(self):
        yield GaugeMetricFamily(
            "inbox_backlog_messages", "Mails waiting to be processed", value=self._count()
        )
