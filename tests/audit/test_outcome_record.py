"""A call's audit record is produced from the pipeline's outcome and one CallContext, without the web
layer: what the policy keeps (pseudonym, patient reference, capture), the caller's iss/jti/tenant, and
the message of a call refused before the pipeline ran."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from cds_service.audit.outcome import AuditPolicy, CallContext, call_record
from cds_service.errors import operation_outcome
from cds_service.settings import Settings
from cds_service.state import build_state
from tests.audit.support import violating
from tests.builders import AS_OF

SERVICE = "hamstring-rehab-order-sign"
CALLER = SimpleNamespace(iss="https://ehr.example.org", jti="jti-1", tenant="site-a")


def test_the_outcome_and_the_call_context_make_the_record(tmp_path: Path) -> None:
    state = build_state(Settings(instance_path=tmp_path, auth_required=False, audit_pseudonym_secret="k" * 32))
    body = violating()
    outcome = state.pipeline.run(SERVICE, body, as_of=AS_OF)
    assert outcome.status == 200 and len(outcome.rendered) == 2

    kept = AuditPolicy(state.guideline, state.pseudonymize, keep_patient_ref=True, capture=True)
    record = call_record(outcome, CallContext(SERVICE, 200, 12.34567, kept, caller=CALLER))
    assert (record.service_id, record.status, record.latency_ms, record.hook_instance, record.as_of) == (
        SERVICE, 200, 12.346, body["hookInstance"], AS_OF)
    assert (record.jwt_iss, record.jwt_jti, record.tenant) == ("https://ehr.example.org", "jti-1", "site-a")
    assert record.patient_pseudonym == state.pseudonymize(body["context"]["patientId"])
    assert record.patient_ref == f"Patient/{body['context']['patientId']}"
    assert [c.uuid for c in record.cards if not c.silent] == [card["uuid"] for _, card in outcome.rendered]
    assert record.capture is not None and record.capture["hookInstance"] == body["hookInstance"]
    assert record.error is None and record.guideline_sha256 == state.guideline.sha256

    default = AuditPolicy(state.guideline, state.pseudonymize)
    plain = call_record(outcome, CallContext(SERVICE, 200, 1.0, default))
    assert plain.patient_ref is None and plain.capture is None and plain.jwt_iss is None
    assert plain.patient_pseudonym == record.patient_pseudonym


def test_a_call_refused_before_the_pipeline_keeps_what_it_was_told(tmp_path: Path) -> None:
    state = build_state(Settings(instance_path=tmp_path, auth_required=False, audit_pseudonym_secret="k" * 32))
    answer = operation_outcome(401, "Authentication required")
    record = call_record(None, CallContext(SERVICE, 401, 0.5, state.audit_policy, answer=answer))
    assert (record.status, record.error, record.hook_instance, record.cards) == (
        401, "Authentication required", None, [])
    assert record.patient_pseudonym is None and record.jwt_jti is None
