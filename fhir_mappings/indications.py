"""Which problem an order is for: is it for another problem than the hamstring? (HAM-05, HAM-10..12)

An order names its problem in `reasonReference` (a Condition on record, resolved by reference, else the
reference's display), `reasonCode`, a MedicationRequest's as-needed reason and a ServiceRequest's
`bodySite`. A reason is the hamstring when it is a hamstring injury or region or a hamstring-related
problem (hamstring-injury, hamstring-region, hamstring-related-problem: thigh and hip pain, a strain
without a site). It is another problem when it names another body site (other-body-site: 'knee
osteoarthritis', a shoulder bodySite) or anything else: a code outside those sets, or text with a word
that hamstring-related-problem's neutral words do not cover ('Osteoarthritis', 'Gout'; 'Acute pain' and
'Pain in right hip' name no other problem). An order whose structured reasons say nothing is also read
in its own text: a referral's code, details and notes; a prescription's sig (dosage text and instructions,
notes: '1 tab TID for L knee pain'): another body site named there and no hamstring.

The order is for another problem when a reason names one and none names the hamstring. An order that
names no problem stays a candidate, as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from fhir_mappings.json_hygiene import dicts_in
from fhir_mappings.medications import medication_concept
from fhir_mappings.terminology import concept_set

HAMSTRING_SETS = ("hamstring-injury", "hamstring-region", "hamstring-related-problem")
_WORD = re.compile(r"[a-z]+")
HAMSTRING, OTHER = "hamstring", "other"


def conditions_by_ref(resources: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The Conditions among `resources`, by 'Condition/<id>'."""
    return {f"Condition/{r.get('id')}": r for r in resources
            if r.get("resourceType") == "Condition" and isinstance(r.get("id"), str)}


def is_for_another_problem(raw: dict[str, Any], conditions: Mapping[str, dict[str, Any]]) -> bool:
    verdicts = set(_verdicts(raw, conditions)) - {""}
    if not verdicts and raw.get("resourceType") == "ServiceRequest":
        verdicts = {_text_verdict(_order_texts(raw))}
    elif not verdicts and raw.get("resourceType") == "MedicationRequest":
        verdicts = {_text_verdict(_sig_texts(raw))}
    return OTHER in verdicts and HAMSTRING not in verdicts


def is_therapy_for_another_problem(raw: dict[str, Any], conditions: Mapping[str, dict[str, Any]]) -> bool:
    """A physical-therapy order or session for another body site: its structured reasons or body site, else its
    own name ('Physical therapy - L knee OA'), name another site and none names the hamstring. Only a site
    counts here: therapy ordered for a generic reason ('muscle weakness', an aftercare code) is still the
    hamstring's. Details and notes are not read: exercise content names other body parts ('knee over toe')."""
    verdicts = set(_verdicts(raw, conditions, sites_only=True)) - {""}
    if not verdicts:
        code = raw["code"] if isinstance(raw.get("code"), dict) else {}
        names = [code.get("text"), *(c.get("display") for c in dicts_in(code.get("coding")))]
        verdicts = {_text_verdict([t for t in names if isinstance(t, str)])}
    return OTHER in verdicts and HAMSTRING not in verdicts


def _verdicts(raw: dict[str, Any], conditions: Mapping[str, dict[str, Any]], sites_only: bool = False) -> Iterator[str]:
    verdict = site_verdict if sites_only else reason_verdict
    for reference in dicts_in(raw.get("reasonReference")):
        condition = _resolved(reference, raw, conditions)
        if condition is not None:
            sites = dicts_in(condition.get("bodySite"))
            found = {verdict(condition.get("code"))} | {site_verdict(s) for s in sites}
            yield HAMSTRING if HAMSTRING in found else OTHER if OTHER in found else ""
        elif isinstance(reference.get("display"), str):
            yield verdict({"text": reference["display"]})
    for concept in dicts_in(raw.get("reasonCode")):
        yield verdict(concept)
    for dosage in dicts_in(raw.get("dosageInstruction")):
        yield verdict(dosage.get("asNeededCodeableConcept"))
    if raw.get("resourceType") in ("ServiceRequest", "Procedure"):
        for site in dicts_in(raw.get("bodySite")):
            yield site_verdict(site)


def reason_verdict(concept: Any) -> str:
    """HAMSTRING, OTHER, or '' (names nothing) for a reason CodeableConcept."""
    if not isinstance(concept, dict):
        return ""
    if any(concept_set(name).matches_concept(concept) for name in HAMSTRING_SETS):
        return HAMSTRING
    if concept_set("other-body-site").matches_concept(concept):
        return OTHER
    codings = dicts_in(concept.get("coding"))
    texts = [t for t in [concept.get("text"), *(c.get("display") for c in codings)]
             if isinstance(t, str) and _WORD.search(t.lower())]
    if texts:
        return "" if all(_names_nothing(t) for t in texts) else OTHER
    return OTHER if any(c.get("code") for c in codings) else ""


def site_verdict(concept: Any) -> str:
    """HAMSTRING, OTHER, or '' for a body site ('Right' alone names no site)."""
    if not isinstance(concept, dict):
        return ""
    if any(concept_set(name).matches_concept(concept) for name in ("hamstring-region", "hamstring-injury")):
        return HAMSTRING
    return OTHER if concept_set("other-body-site").matches_concept(concept) else ""


def _text_verdict(texts: list[str]) -> str:
    if any(concept_set(name).mentioned_in(texts) for name in HAMSTRING_SETS):
        return HAMSTRING
    return OTHER if concept_set("other-body-site").mentioned_in(texts) else ""


def _names_nothing(text: str) -> bool:
    """Every word of the text is a neutral word of hamstring-related-problem."""
    neutral = concept_set("hamstring-related-problem").neutral_words
    return all(any(word == w or (w.endswith("*") and word.startswith(w[:-1])) for w in neutral)
               for word in _WORD.findall(text.lower()))


def _order_texts(raw: dict[str, Any]) -> list[str]:
    code = raw["code"] if isinstance(raw.get("code"), dict) else {}
    texts = [code.get("text"), *(c.get("display") for c in dicts_in(code.get("coding")))]
    texts += [d.get("text") for d in dicts_in(raw.get("orderDetail"))]
    texts += [n.get("text") for n in dicts_in(raw.get("note"))] + [raw.get("patientInstruction")]
    return [t for t in texts if isinstance(t, str)]


def _sig_texts(raw: dict[str, Any]) -> list[str]:
    """Where a prescriber writes the reason in words ('1 tab TID for L knee pain'): the dosage lines' text,
    patient instruction and additional instructions, the notes, and the drug's own text (a whole sig)."""
    concept = medication_concept(raw)
    texts = [concept.get("text") if concept is not None else None]
    for dosage in dicts_in(raw.get("dosageInstruction")):
        texts += [dosage.get("text"), dosage.get("patientInstruction")]
        texts += [c.get("text") for c in dicts_in(dosage.get("additionalInstruction"))]
    texts += [n.get("text") for n in dicts_in(raw.get("note"))]
    return [t for t in texts if isinstance(t, str)]


def _resolved(reference: dict[str, Any], raw: dict[str, Any],
              conditions: Mapping[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The Condition a reference names: contained ('#id'), relative, absolute or versioned, or a urn:uuid id."""
    ref = reference.get("reference")
    if not isinstance(ref, str):
        return None
    if ref.startswith("#"):
        return contained_condition(raw, ref)
    if ref.startswith("urn:uuid:"):
        return conditions.get(f"Condition/{ref[9:]}")
    parts = ref.split("/_history/")[0].rstrip("/").split("/")
    return conditions.get("/".join(parts[-2:])) if len(parts) >= 2 and parts[-2] == "Condition" else None


def contained_condition(raw: dict[str, Any], reference: Any) -> dict[str, Any] | None:
    """The Condition contained in `raw` that a local reference ('#dx1') names, or None."""
    if not isinstance(reference, str) or not reference.startswith("#"):
        return None
    return next((c for c in dicts_in(raw.get("contained"))
                 if c.get("resourceType") == "Condition" and c.get("id") == reference[1:]), None)
