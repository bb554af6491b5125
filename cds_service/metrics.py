"""Prometheus metrics (docs/observability.md): hook latency, cards, failed criteria, skipped resources,
FHIR fallback fetches, authentication refusals, and the audit trail's backlog and database.

Off unless `CDS_METRICS_PORT` is set; then a listener of its own (127.0.0.1 by default, never the
service's port) serves them. Under `hamstring-cds serve` each gunicorn worker writes its counts to
files in PROMETHEUS_MULTIPROC_DIR (cds_service/server.py) and the listener, in the master process,
adds them up. The audit gauges are not per-worker values: they are read when scraped (AuditCollector),
from the files and the database every worker shares, so no gauge mode has to combine workers' views.

Labels are bounded and carry no caller data: a known service id (else "unknown"), an HTTP status, a
criterion id and indicator from the guideline configuration, a fetch outcome, a refusal kind.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from cds_service.metrics_listener import start_listener
from cds_service.services import SERVICES
from cds_service.settings import Settings

log = logging.getLogger(__name__)
# 0.5 s: the answer CDS Hooks clients expect for a hook; 5 s: the Da Vinci CRD response-time limit.
LATENCY_BUCKETS_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Authentication refusals by kind: the first words of AuthFailed's reasons (cds_service/auth/verify.py),
# never the reason itself, which may quote a claim value.
REFUSAL_KINDS = (
    ("no Authorization header", "no_token"), ("Authorization is not a Bearer", "not_bearer"),
    ("token too long", "malformed"), ("not a JWT", "malformed"), ("no iss claim", "malformed"),
    ("issuer not trusted", "untrusted_issuer"), ("algorithm not accepted", "header"), ("header ", "header"),
    ("jku ", "key"), ("no jku", "key"), ("no key", "key"), ("aud is not", "audience"),
    ("signature or token refused", "signature"), ("claims refused", "claims"), ("exp and iat", "claims"),
    ("lifetime", "claims"), ("jti is not", "claims"), ("tenant not allowed", "tenant"),
    ("jti already used", "replay"),
)


def refusal_kind(reason: str) -> str:
    return next((kind for start, kind in REFUSAL_KINDS if reason.startswith(start)), "other")


class NullMetrics:
    """Metrics off (no CDS_METRICS_PORT): every observation is a no-op."""

    enabled = False

    def hook_answered(self, outcome: Any) -> None: ...

    def request_done(self, service_id: str, status: int, seconds: float) -> None: ...

    def fhir_fetch(self, seconds: float, outcome: str) -> None: ...

    def auth_refused(self, reason: str) -> None: ...


class Metrics(NullMetrics):
    enabled = True

    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        self._children: dict[tuple[Any, ...], Any] = {}  # labels() validates on every call: ~1.5 us each
        known = self.registry
        self.hook_seconds = Histogram("cds_hook_request_duration_seconds", "Hook calls by service and HTTP status",
                                      ["service", "status"], buckets=LATENCY_BUCKETS_SECONDS, registry=known)
        self.cards = Counter("cds_cards", "Cards returned, by service, criterion and indicator",
                             ["service", "criterion", "indicator"], registry=known)
        self.silent = Counter("cds_silent_findings", "Findings of silent (pilot) criteria, never shown",
                              ["criterion"], registry=known)
        self.failed = Counter("cds_criterion_failures", "Calls in which a criterion raised (the others answered)",
                              ["criterion"], registry=known)
        self.skipped = Counter("cds_skipped_resources", "Resources a call could not read (skipped, audited)",
                               ["service"], registry=known)
        self.fhir_seconds = Histogram("cds_fhir_fetch_duration_seconds", "FHIR GETs for prefetch the EHR did not "
                                      "send, by outcome", ["outcome"], buckets=LATENCY_BUCKETS_SECONDS, registry=known)
        self.refusals = Counter("cds_auth_refusals", "Hook and feedback calls refused by authentication, by kind",
                                ["reason"], registry=known)

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def hook_answered(self, outcome: Any) -> None:
        """Cards, silent findings, failed criteria and skipped resources of one answered hook call."""
        evaluation = outcome.evaluation
        if evaluation is None:
            return
        service = outcome.service_id
        for finding, card in outcome.rendered:
            self._child(self.cards, service, finding.criterion_id, card["indicator"]).inc()
        for finding in evaluation.silent:
            self._child(self.silent, finding.criterion_id).inc()
        for criterion in evaluation.failed:
            self._child(self.failed, criterion).inc()
        if outcome.skipped:
            self._child(self.skipped, service).inc(len(outcome.skipped))

    def request_done(self, service_id: str, status: int, seconds: float) -> None:
        service = service_id if service_id in SERVICES else "unknown"  # the URL's id is the caller's text
        self._child(self.hook_seconds, service, str(status)).observe(seconds)

    def fhir_fetch(self, seconds: float, outcome: str) -> None:
        self._child(self.fhir_seconds, outcome).observe(seconds)

    def auth_refused(self, reason: str) -> None:
        self._child(self.refusals, refusal_kind(reason)).inc()


def build_metrics(settings: Settings) -> NullMetrics:
    if settings.metrics_port is None:
        return NullMetrics()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR") and not getattr(values.ValueClass, "_multiprocess", False):
        raise RuntimeError("PROMETHEUS_MULTIPROC_DIR was set after prometheus_client was imported: the workers' "
                           "metrics would not be added up")
    return Metrics()


class AuditCollector(Collector):
    """The audit trail's state, read when scraped: records in the journals of every process on this host
    (accepted, not yet committed), records in the spool, and whether the database answers."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.journal_folder = settings.spool_file.with_name("audit-journal")  # as the audit trail keeps it
        self._trail: Any = None
        self._opening = threading.Lock()  # two first scrapes at once open one store, not two

    def collect(self) -> Iterator[Metric]:
        from cds_service.store import open_store

        if self._trail is None:
            with self._opening:
                if self._trail is None:
                    self._trail = open_store(self.settings)  # its own: never the workers' (none inherited at fork)
        status = self._trail.status()
        yield GaugeMetricFamily("cds_audit_journal_records", "Hook-call records accepted and not yet committed",
                                value=journal_records(self.journal_folder))
        yield GaugeMetricFamily("cds_audit_spool_records", "Audit records waiting in the spool for the database",
                                value=status["spooled"])
        yield GaugeMetricFamily("cds_audit_database_up", "1 when the audit database answers, else 0",
                                value=1 if status["database"] == "ok" else 0)


def journal_records(folder: Path) -> int:
    total = 0
    for segment in folder.glob("*.jsonl"):
        try:
            with segment.open("rb") as lines:
                total += sum(1 for line in lines if line.strip())
        except FileNotFoundError:  # committed while we looked
            continue
    return total


def install(app: Flask, metrics: NullMetrics, settings: Settings) -> None:
    """Times every hook call (refused ones too) and starts the metrics listener, when metrics are on."""
    if not isinstance(metrics, Metrics) or settings.metrics_port is None:
        return

    @app.after_request
    def hook_timing(response: Response) -> Response:
        if request.blueprint == "hooks" and request.view_args and request.method == "POST":
            started = g.get("started", time.perf_counter())
            metrics.request_done(str(request.view_args.get("service_id", "")), response.status_code,
                                 time.perf_counter() - started)
        return response

    registry = metrics.registry
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:  # gunicorn: the workers' files, not this process's own values
        registry = CollectorRegistry()
        MultiProcessCollector(registry, folder)
    registry.register(AuditCollector(settings))
    server = start_listener(settings.metrics_port, settings.metrics_host, registry)
    app.extensions["cds_metrics_listener"] = server
    log.info("metrics on http://%s:%d/metrics", settings.metrics_host, settings.metrics_port)
