"""HAM-12: persistent hamstring weakness after 3 months of appropriate rehabilitation.

Guideline: "Persistent weakness or functional compromise despite 3 months of appropriate rehabilitation
warrants surgical evaluation" (local guideline policy: no published source). Appropriate rehabilitation:
a program that has run 3 months (`min_program_days`) with `min_sessions` delivered sessions. Weakness: the
latest strength limb symmetry measured on or after that day is below `min_limb_symmetry_percent`; with no
such measurement, a current coded weakness finding. A surgical referral, drafted or on record, or a repair
already done means no card.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from cards.facts import ClinicalFacts
from cards.findings import Finding, Fix, Scalar
from cards.rules.base import Criterion, Thresholds
from cards.rules.measures import latest, shown

ID = "HAM-12"


class Ham12Thresholds(Thresholds):
    min_program_days: int = Field(ge=1)
    min_sessions: int = Field(ge=1)
    min_limb_symmetry_percent: int = Field(gt=0, le=100)


def persistent_weakness(facts: ClinicalFacts, t: Ham12Thresholds) -> Finding | None:
    run_days, start, sessions = facts.program_run_days, facts.rehab_start, facts.therapy_sessions.count
    if run_days is None or start is None or run_days < t.min_program_days or sessions < t.min_sessions:
        return None
    if facts.has_surgical_referral or facts.hamstring_repair_done:
        return None
    after_program = start + timedelta(days=t.min_program_days - 1)
    measured = latest([m for m in facts.strength_symmetry if m.when >= after_program])
    observed: dict[str, Scalar] = {"program_days": run_days, "sessions": facts.therapy_sessions.count}
    if measured is not None and measured.value is not None:
        if measured.value >= t.min_limb_symmetry_percent:
            return None
        observed.update(weakness="measured", symmetry_percent=shown(measured.value))
    elif facts.weakness_findings:
        observed.update(weakness="finding", weakness_finding=facts.weakness_findings[0][:40])
    else:
        return None
    reason = facts.hamstring_injuries[0].ref if facts.hamstring_injuries else None
    fix = Fix(action="create", change={"order": "orthopedic-surgeon-referral", "reason_ref": reason})
    return Finding(criterion_id=ID, fixes=(fix,), observed=observed)


CRITERION = Criterion(id=ID, thresholds_model=Ham12Thresholds, evaluate=persistent_weakness,
                      example_observed={"weakness": "finding", "symmetry_percent": 89.9, "weakness_finding": "x" * 40,
                                        "program_days": 9999, "sessions": 999})
