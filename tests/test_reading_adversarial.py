"""An adversarial clinical pass over how records are read (issues 14 and 15): one test per class of error
found, on the mapper that makes it. Whole requests for each case are scenario fixtures
(tests/fixtures/hooks/: typo, shorthand, contained Medication, reason in the sig, knee immobiliser,
'but stopped', 'NSAIDs', valueRatio and 'out of 10' ...).

- misspellings: one-edit forms of the words a concept set tolerates ('Eccentirc'), still judged in context;
- shorthand: 'ecc.' as a whole word (not 'ecchymosis');
- a stop written at the end of a clause, further from the exercise than before ('tried ... but stopped'), and
  a physical-therapy order that says stop and names nothing else ('Discontinue - goals met');
- a knee immobiliser holds the hamstrings still: its 'knee' names no other site;
- the drug named by medicationReference (a contained Medication, or the reference's display), and the NSAID
  class by name;
- the reason written in a prescription's sig ('for L knee pain'); physical therapy for another body site;
- a score out of 10 as valueRatio or 'n out of 10', strength as a valueRatio of the two sides.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from fhir_mappings.analgesics import analgesic_ingredient
from fhir_mappings.indications import is_for_another_problem, is_therapy_for_another_problem
from fhir_mappings.medications import medication_concept
from fhir_mappings.observations import measurements
from fhir_mappings.record import reads
from fhir_mappings.stated_durations import lengthened, longest_stated_days, shortened
from fhir_mappings.terminology import concept_set
from fhir_mappings.therapy_stops import stops_therapy
from fhir_mappings.typos import one_edit_forms
from tests.builders import FULL_PROGRAM, LOINC, SUBJECT, hook_request

ECC, REST = "eccentric-strengthening", "complete-rest"
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"


def test_one_edit_forms_swap_neighbours_and_drop_or_double_a_letter_in_long_words() -> None:
    forms = one_edit_forms(["Eccentric"])
    assert {"eccentirc", "ecentric", "eccentic", "ecccentric", "cecentric"} <= forms
    assert "eccentric" not in forms and "concentric" not in forms
    short = one_edit_forms(["nordic"])
    assert "nrodic" in short and "nordci" in short
    assert "nodic" not in short  # a short word: swaps only, a dropped letter reaches other words too easily


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Eccentirc hamstring strengthening, progressive", True),
        ("Eccentic HS loading 3x/wk", True),
        ("Nrodic curls 3x5", True),
        ("Excentric hamstring training", True),
        ("Ecc. HS strengthening", True),
        ("ECC HS loading 3x8", True),
        ("Progress eccs", True),
        ("Avoid eccentirc loading for now", False),  # a typo is still judged in context
        ("Nordci curls contraindicated", False),
        ("Ecchymosis posterior thigh resolving", False),
        ("Concentric leg curls only", False),
        ("Hamstring lenghtening stretches", False),  # a stretch, not the lengthening exercise protocol
    ],
)
def test_misspelt_and_shorthand_eccentric_work(text: str, named: bool) -> None:
    assert concept_set(ECC).has_text(text) is named


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Nordic curls were tried in week 2 but stopped", False),
        ("Nordic curls were tried in week 2 but stopped due to cramping", False),
        ("Nordic curls x3 sets: too painful in the first two sessions, stopped", False),
        ("Nordic curls 3x6 twice weekly, then progress load", True),
        ("Nordics 3x5 - stopped", False),
        ("Nordic hamstring exercise progressed; stopped heel slides", True),
        ("Nordic curls 3x6, progressed at week 2 with heavier bands, then continue", True),
    ],
)
def test_a_stop_at_the_end_of_a_clause_about_the_exercise(text: str, named: bool) -> None:
    assert concept_set(ECC).has_text(text) is named


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Isometric bridge hold 30 s, Nordic lowers 3x5", True),
        ("Bridge hold x 30 s, then Nordics", True),
        ("Nordics 2x/wk, held at 3x5 this week", True),
        ("Drop sets of Nordic curls", True),
        ("Stop at end range, eccentric lowering 3 s", True),
        ("Hold Nordics this week", False),
        ("Hold for now: Nordic curls", False),
        ("Hold the Nordics this week", False),
        ("Nordics held this week", False),
        ("Drop Nordics for now", False),
        ("Stop Nordics", False),
    ],
)
def test_holds_drops_and_stops_that_describe_how_an_exercise_is_done(text: str, named: bool) -> None:
    assert concept_set(ECC).has_text(text) is named


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Knee immobilizer locked at 30 degrees", True),
        ("R knee immobiliser x 2/52", True),
        ("Knee splint for immobilisation, locked in flexion", True),
        ("Knee immobiliser for patellar dislocation", False),
        ("ACL reconstruction: knee immobilizer 2 weeks", False),
        ("Shoulder immobilizer sling", False),
        ("Immobilisation of the wrist", False),
    ],
)
def test_a_knee_immobiliser_holds_the_hamstrings_still(text: str, named: bool) -> None:
    assert concept_set(REST).has_text(text) is named


@pytest.mark.parametrize(
    ("text", "stop"),
    [
        ("PT completed early due to pain", True),
        ("Program cut short - not tolerating Nordics", True),
        ("Completed, pain-free, discharged to HEP", True),  # a discharge: whether it came early is for HAM-07
        ("Completed as planned", False),
        ("Completed 12 weeks, goals met", False),
    ],
)
def test_an_end_before_the_plan_is_a_stop(text: str, stop: bool) -> None:
    assert concept_set("discontinuation-wording").has_text(text) is stop


PT_CODE = {"coding": [{"system": "http://snomed.info/sct", "code": "91251008"}]}


@pytest.mark.parametrize(
    ("note", "stop"),
    [
        ("Discontinue: increased posterior thigh pain with exercises", True),
        ("Discontinue - goals met", True),
        ("Stop. Pt reports pain 8/10 after sessions", True),
        ("D/C - pain with Nordics", True),  # names an exercise, but gives pain as the reason
        ("PT eval and treat. Stop sprinting until reviewed.", False),  # an activity, not the therapy
        ("Stop Nordics, continue hip work", False),
        ("D/C when goals met", False),  # planned, not done
        ("Discharge once independent with HEP", False),
        ("Do not discontinue", False),
    ],
)
def test_a_physical_therapy_order_that_says_stop_and_names_nothing_else(note: str, stop: bool) -> None:
    order = {
        "resourceType": "ServiceRequest",
        "id": "dc-1",
        "status": "draft",
        "code": PT_CODE,
        "note": [{"text": note}],
    }
    assert stops_therapy(order) is stop


def test_occurs_in_finds_the_words_whatever_is_said_of_them() -> None:
    assert concept_set(ECC).occurs_in("Stop Nordics") and not concept_set(ECC).has_text("Stop Nordics")
    assert not concept_set(ECC).occurs_in("Isometric bridges")


def med(**members: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": "med-1",
        "status": "draft",
        "intent": "order",
        "subject": SUBJECT,
        **members,
    }


NAPROXEN = {
    "resourceType": "Medication",
    "id": "m1",
    "code": {"coding": [{"system": RX, "code": "198013", "display": "Naproxen 500 MG Oral Tablet"}]},
}
GEL = {"resourceType": "Medication", "id": "m1", "code": {"text": "Diclofenac 1%"}, "form": {"text": "Topical gel"}}


@pytest.mark.parametrize(
    ("request_", "ingredient"),
    [
        (med(contained=[NAPROXEN], medicationReference={"reference": "#m1"}), "naproxen"),
        (
            med(
                contained=[{**NAPROXEN, "code": {"text": "Ibuprofen 400mg tab"}}],
                medicationReference={"reference": "#m1"},
            ),
            "ibuprofen",
        ),
        (med(medicationReference={"reference": "Medication/77", "display": "Naproxen 250 mg tablet"}), "naproxen"),
        (med(contained=[GEL], medicationReference={"reference": "#m1"}), None),  # its form: applied, not swallowed
        (med(contained=[NAPROXEN], medicationReference={"reference": "#other"}), None),
        (med(medicationReference={"reference": "Medication/77"}), None),  # not here: the drug is unknown
        (med(medicationCodeableConcept={"text": "NSAIDs"}), "NSAID"),
        (med(medicationCodeableConcept={"text": "NSAID: ibuprofen 400 mg"}), "ibuprofen"),
    ],
)
def test_the_drug_named_by_reference_or_by_class(request_: dict[str, Any], ingredient: str | None) -> None:
    assert analgesic_ingredient(request_) == ingredient


def test_a_medication_codeable_concept_is_read_before_a_reference() -> None:
    concept = {"text": "Acetaminophen 500 mg"}
    assert (
        medication_concept(
            med(medicationCodeableConcept=concept, contained=[NAPROXEN], medicationReference={"reference": "#m1"})
        )
        == concept
    )


def sig(text: str, **dosage: Any) -> dict[str, Any]:
    return med(medicationCodeableConcept={"text": "Ibuprofen 600 mg"}, dosageInstruction=[{"text": text, **dosage}])


@pytest.mark.parametrize(
    ("request_", "other"),
    [
        (sig("1 tab PO TID with food for L knee pain"), True),
        (sig("1 tab PO TID", additionalInstruction=[{"text": "for shoulder pain"}]), True),
        (sig("1 tab PO TID PRN R hamstring pain"), False),
        (sig("1 tab PO TID for knee and hamstring pain"), False),
        (sig("1 tab PO TID with food"), False),  # names no problem: stays a candidate
        (sig("1 tab PO TID for knee pain", asNeededCodeableConcept={"text": "Hamstring strain"}), False),
        (med(medicationCodeableConcept={"text": "Ibuprofen 600 mg TID for low back pain x 14 days"}), True),
    ],
)
def test_the_reason_written_in_a_sig(request_: dict[str, Any], other: bool) -> None:
    assert is_for_another_problem(request_, {}) is other


def therapy(name: str = "Physical therapy", **members: Any) -> dict[str, Any]:
    return {"resourceType": "ServiceRequest", "id": "pt-9", "code": {"text": name}, **members}


KNEE_OA = {"resourceType": "Condition", "id": "oa", "code": {"text": "Left knee osteoarthritis"}}


@pytest.mark.parametrize(
    ("order", "other"),
    [
        (therapy("Physical therapy - L knee OA"), True),
        (therapy(reasonCode=[{"text": "Left knee osteoarthritis"}]), True),
        (therapy(reasonReference=[{"reference": "Condition/oa"}]), True),
        (therapy(bodySite=[{"text": "Left shoulder"}]), True),
        (therapy("PT - hamstring and knee"), False),
        (therapy(reasonCode=[{"text": "R distal biceps femoris strain"}], bodySite=[{"text": "Right knee"}]), False),
        (therapy(reasonCode=[{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M62.81"}]}]), False),
        (therapy(reasonCode=[{"text": "Gout"}]), False),  # names no site: the hamstring program is still judged
        (therapy(orderDetail=[{"text": "Single-leg squat, knee over toe"}]), False),  # content, not a reason
    ],
)
def test_physical_therapy_for_another_site_is_not_hamstring_rehab(order: dict[str, Any], other: bool) -> None:
    assert is_therapy_for_another_problem(order, {"Condition/oa": KNEE_OA}) is other


def obs(value: dict[str, Any], code: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "subject": SUBJECT,
        "code": code,
        "effectiveDateTime": "2026-11-20",
        **value,
    }


PAIN = {"coding": [{"system": LOINC, "code": "72514-3"}]}
STRENGTH = {"text": "Knee flexor strength, injured to uninjured side"}
SINCE, AS_OF = date(2026, 10, 1), date(2026, 11, 23)


def read(resource: dict[str, Any]) -> Any:
    return measurements(reads([resource], "Patient/pat-1"), SINCE, AS_OF)


@pytest.mark.parametrize(
    ("value", "pain"),
    [
        ({"valueString": "8 out of 10"}, [8.0]),
        ({"valueString": "8 OUT OF 10"}, [8.0]),
        ({"valueRatio": {"numerator": {"value": 7}, "denominator": {"value": 10}}}, [7.0]),
        ({"valueRatio": {"numerator": {"value": 70}, "denominator": {"value": 100}}}, []),  # not out of 10
        ({"valueRatio": {"numerator": {"value": 7}, "denominator": {"value": 0}}}, []),
        ({"valueString": "8 out of 100"}, []),
    ],
)
def test_pain_out_of_ten_in_words_or_as_a_ratio(value: dict[str, Any], pain: list[float]) -> None:
    assert [p.value for p in read(obs(value, PAIN)).pain] == pain


@pytest.mark.parametrize(
    ("value", "strength"),
    [
        (
            {"valueRatio": {"numerator": {"value": 180, "unit": "N"}, "denominator": {"value": 230, "unit": "N"}}},
            [round(180 / 230 * 100, 6)],
        ),
        ({"valueRatio": {"numerator": {"value": 85}, "denominator": {"value": 100}}}, [85.0]),
        ({"valueRatio": {"numerator": {"value": 400}, "denominator": {"value": 100}}}, []),  # implausible
        ({"valueRatio": {"numerator": {"value": 180}}}, []),
    ],
)
def test_strength_as_a_ratio_of_the_two_sides(value: dict[str, Any], strength: list[float]) -> None:
    assert [m.value for m in read(obs(value, STRENGTH)).strength] == strength


@pytest.mark.parametrize(
    ("name", "extended"),
    [
        ("PT 2x/wk x 6 wks", "PT 2x/wk x 12 weeks"),
        ("PT 2-3x/wk x 4-6 wks", "PT 2-3x/wk x 12 weeks"),
        ("Physio twice weekly for six weeks", "Physio twice weekly for 12 weeks"),
        ("PT q2 weeks x 6 wks", "PT q2 weeks x 12 weeks"),  # the interval stays
        ("PT 2x/wk x 14 wks", "PT 2x/wk x 14 wks"),  # never shortened
    ],
)
def test_a_program_length_stated_in_words_is_extended_in_words(name: str, extended: str) -> None:
    assert lengthened(name, 84, "12 weeks") == extended


def test_a_program_stated_only_in_its_name_is_judged_and_its_fix_says_the_new_length(client: FlaskClient) -> None:
    order = {
        "resourceType": "ServiceRequest",
        "id": "pt-1",
        "status": "draft",
        "intent": "order",
        "subject": SUBJECT,
        "code": {"text": "PT 2x/wk x 6 wks"},
        "orderDetail": list(FULL_PROGRAM),
    }
    body = client.post("/cds-services/hamstring-rehab-order-sign", json=hook_request(drafts=[order])).get_json()
    card = next(c for c in body["cards"] if c["source"]["topic"]["code"] == "HAM-01")
    assert "42 days" in card["summary"]
    fixed = card["suggestions"][0]["actions"][0]["resource"]
    assert fixed["code"]["text"] == "PT 2x/wk x 12 weeks"
    again = client.post("/cds-services/hamstring-rehab-order-sign", json=hook_request(drafts=[fixed])).get_json()
    assert "HAM-01" not in [c["source"]["topic"]["code"] for c in again["cards"]]


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("NWB R leg x 2/52", 14.0),
        ("Bedrest 5/7", 5.0),
        ("Hold eccentrics x1/52", 7.0),
        ("Physio x 2-3/52", 21.0),
        ("Seen 5/7/2026", None),  # a date
        ("BP 120/70", None),
        ("Review 3/12", None),  # months are not read in this form: as often a date
    ],
)
def test_british_clinical_fractions_of_a_week_and_a_day(text: str, days: float | None) -> None:
    assert longest_stated_days([text]) == days


def test_a_fraction_is_shortened_and_lengthened_like_any_stated_duration() -> None:
    assert shortened("Ibuprofen 400mg TDS x 2/52", 7, "7 days") == ("Ibuprofen 400mg TDS x 7 days", False)
    assert lengthened("PT 2/7 x 6/52", 84, "12 weeks") == "PT 2/7 x 12 weeks"  # the longest one only


@pytest.mark.parametrize(
    ("text", "full"),
    [
        ("Return to full team training", True),
        ("Clearance for full contact", True),
        ("Cleared for RTP", True),
        ("Return to play: graded, stage 2", False),
        ("Graded return to play", False),
        ("Modified RTP", False),
        ("Return to running program", False),
    ],
)
def test_full_activity_and_graded_returns(text: str, full: bool) -> None:
    assert concept_set("return-to-activity").has_text(text) is full
