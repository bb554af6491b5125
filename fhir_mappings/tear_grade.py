"""Is a hamstring Condition a high-grade injury (complete or near-complete tear, avulsion), and what says so?

HAM-11 is a critical card, so it needs a record of a complete or near-complete tear or an avulsion.
ICD-10-CM has no grade axis (terminology.md 1a: a strain code S76.31- covers grades I to III), so the grade
is read, most specific first (terminology.md 1c, 1d, 6.3):
1. the diagnosis (its codes, displays and text), a stage summary (also read after its type: 'BAMIC
   grade' + '2b') or a note (an imaging report) naming a complete or near-complete tear or an avulsion
   (high-grade-hamstring-injury: S32.61- ischial avulsion, nontraumatic thigh rupture, the 'Complete'
   qualifier, avulsion, complete-tear or retraction words): high grade, key `diagnosis`, `stage` or `note`;
2. else a lower grade anywhere in it (lower-grade-hamstring-injury: Mild, Moderate, 'Partial', grade 1 or
   2, partial tear, in the diagnosis, a stage, the severity or a note): not high grade, whatever the
   severity says (a coded grade beats a 'severe' severity);
3. else a severe severity, in `severity` or a stage (severe-severity: 24484000, 'severe', 'grade 3'; grade
   III by local convention, 1d): `severity`.
Text counts only where affirmed (fhir_mappings/text_assertion.py: "no retraction", "previous avulsion,
repaired 2019", "complete tear of the ACL", "partial avulsion" do not). A tear's extent given only as a
percentage ("involving 90% of the tendon width", "~75% cross-sectional") is not a grade: neither the guideline,
cards/guideline.toml nor terminology.md gives the percentage that makes a tear near-complete; the words do
("near-complete", "nearly complete", "near-total").
"""

from __future__ import annotations

from typing import Any

from fhir_mappings.terminology import ConceptSet, concept_set


def high_grade_evidence(raw: dict[str, Any]) -> str | None:
    """`diagnosis`, `stage`, `note` or `severity`: what records a high-grade injury; None when nothing does."""
    high, lower, severe = (concept_set(n) for n in ("high-grade-hamstring-injury", "lower-grade-hamstring-injury",
                                                     "severe-severity"))
    code, severity = raw.get("code"), raw.get("severity")
    stages = [concept for stage in _dicts(raw.get("stage")) for concept in _stage_concepts(stage)]
    notes = [n.get("text") for n in _dicts(raw.get("note"))]
    if high.matches_concept(_without_codes_of(code, severe)):
        return "diagnosis"
    if any(high.matches_concept(_without_codes_of(stage, severe)) for stage in stages):
        return "stage"
    if high.mentioned_in(notes):
        return "note"
    if any(lower.matches_concept(concept) for concept in [code, severity, *stages]) or lower.mentioned_in(notes):
        return None
    if any(severe.matches_concept(concept) for concept in [severity, *stages]):
        return "severity"
    return None


def _stage_concepts(stage: dict[str, Any]) -> list[dict[str, Any]]:
    """The stage summary, and its text read after the stage type's ('BAMIC grade' + '2b')."""
    summary, kind = stage.get("summary"), stage.get("type")
    if not isinstance(summary, dict):
        return []
    return [summary] + [{"text": f"{k} {t}"} for k in _texts(kind)[:1] for t in _texts(summary)]


def _texts(concept: Any) -> list[str]:
    if not isinstance(concept, dict):
        return []
    texts = [concept.get("text"), *(c.get("display") for c in _dicts(concept.get("coding")))]
    return [t for t in texts if isinstance(t, str) and t.strip()]


def _without_codes_of(concept: Any, members: ConceptSet) -> Any:
    """The concept without codings in `members`: a stage coded Severe is a severity, not a tear."""
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return concept
    kept = [c for c in concept["coding"]
            if not (isinstance(c, dict) and members.has_code(c.get("system"), c.get("code")))]
    return {**concept, "coding": kept}


def _dicts(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    return [v for v in items if isinstance(v, dict)]
