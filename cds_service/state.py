"""Everything a running service holds, built once from settings: guideline, pipeline, store, discovery.

Used by the Flask app factory and by the CLI, so `evaluate` runs exactly what the server runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib.metadata import version
from typing import Any

from cards.config import Guideline, load_guideline
from cards.lifecycle import lifecycle_warnings, refuse_retired
from cds_service.audit.outcome import AuditPolicy
from cds_service.audit.pseudonym import Pseudonymizer, pseudonymizer
from cds_service.audit.recorder import AuditTrail
from cds_service.fhir_client import FhirClient
from cds_service.metrics import NullMetrics, build_metrics
from cds_service.openapi import openapi_document
from cds_service.pipeline import Pipeline
from cds_service.prefetch import PrefetchResolver
from cds_service.services import OPTIONAL_KEYS, SERVICES, prefetch_templates
from cds_service.settings import Settings
from cds_service.store import open_store
from cds_service.tracing import PropagatingExecutor
from fhir_mappings.reference_data import check_reference_data
from fhir_mappings.terminology import configure_site_codes


def today_utc() -> date:
    return datetime.now(UTC).date()


@dataclass
class ServiceState:
    settings: Settings
    guideline: Guideline
    pipeline: Pipeline
    discovery: dict[str, Any]
    openapi: dict[str, Any]
    today: Callable[[], date]
    metrics: NullMetrics = field(default_factory=NullMetrics)  # off unless CDS_METRICS_PORT is set
    _store: AuditTrail | None = None
    _pseudonymizer: Pseudonymizer | None = None
    # Made on first use by whichever request thread comes first: one at a time, so a worker's threads
    # answering their first calls together share one audit trail (one journal, one writer thread).
    _first_use: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def store(self) -> AuditTrail:
        """The audit trail (a `FeedbackStore`); it connects on first use, so `evaluate` and discovery never
        touch the database."""
        if self._store is None:
            with self._first_use:
                if self._store is None:
                    self._store = open_store(self.settings)
        return self._store

    @property
    def pseudonymize(self) -> Pseudonymizer:
        if self._pseudonymizer is None:
            with self._first_use:
                if self._pseudonymizer is None:
                    self._pseudonymizer = pseudonymizer(self.settings)
        return self._pseudonymizer

    @property
    def audit_policy(self) -> AuditPolicy:
        """What the audit trail keeps of each call, as the settings say."""
        return AuditPolicy(self.guideline, self.pseudonymize, self.settings.audit_store_patient_reference,
                           self.settings.audit_capture_requests)


def build_state(settings: Settings, today: Callable[[], date] = today_utc) -> ServiceState:
    """Raises (naming the file) when the guideline configuration or any reference data is missing or invalid."""
    check_reference_data()
    guideline = load_guideline(settings.guideline_file)
    refuse_retired(guideline.lifecycle, guideline.meta.version, guideline.path)
    for warning in lifecycle_warnings(guideline.lifecycle, today()):
        logging.getLogger(__name__).warning("GUIDELINE %s: %s", guideline.path, warning)
    configure_site_codes(guideline.file.terminology.site_codes)  # before the templates, which list them
    templates = prefetch_templates()
    metrics = build_metrics(settings)
    client = FhirClient(settings.fhir_server_allowlist, allow_http_loopback=settings.fhir_allow_http_loopback,
                        on_fetch=metrics.fhir_fetch if metrics.enabled else None)
    executor = PropagatingExecutor(max_workers=8, thread_name_prefix="fhir-fetch")
    resolver = PrefetchResolver(client, executor, settings.fhir_time_budget_seconds, settings.fhir_max_pages,
                                OPTIONAL_KEYS)
    discovery = {"services": [s.definition(templates) for s in SERVICES.values()]}
    openapi = openapi_document(version("hamstring-rehab-cds"), settings.auth_required, settings.auth.public_endpoints)
    return ServiceState(settings=settings, guideline=guideline, pipeline=Pipeline(guideline, resolver, templates),
                        discovery=discovery, openapi=openapi, today=today, metrics=metrics)
