"""Concept sets: every code carries its source and confidence, no NF or forbidden code is invented,
text matches at word starts, and site codes are validated and then used for matching and prefetch."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from cds_service import create_app
from fhir_mappings.terminology import (
    TERMINOLOGY_DIR,
    SiteCodesError,
    concept_set,
    configure_site_codes,
    parse_site_codes,
)
from tests import builders as b

ROOT = Path(__file__).resolve().parents[1]
SITE = "http://example.org/fhir/CodeSystem/prom"
FORBIDDEN = {"81022004"}  # circulates as "hamstring muscle structure"; reported to be a plant concept


@pytest.fixture(autouse=True)
def _no_site_codes() -> Iterator[None]:
    configure_site_codes({})
    yield
    configure_site_codes({})


def entries() -> Iterator[tuple[str, dict]]:
    for path in sorted(TERMINOLOGY_DIR.glob("*.json")):
        data = json.loads(path.read_text())
        for include in data["compose"]["include"]:
            for item in include.get("concept", []) + include.get("filter", []):
                yield path.stem, item


def test_every_code_has_a_source_and_a_confidence() -> None:
    for name, item in entries():
        assert item.get("source"), (name, item)
        assert item.get("conf") in {"V1", "V2", "P"}, (name, item)


def test_no_forbidden_code_anywhere() -> None:
    codes = {item.get("code") or item.get("value") for _, item in entries()}
    assert not codes & FORBIDDEN


def test_file_ids_match_their_names() -> None:
    for path in TERMINOLOGY_DIR.glob("*.json"):
        assert json.loads(path.read_text())["id"] == path.stem


@pytest.mark.parametrize("name", ["return-to-activity", "sport-movement-pain", "strength-symmetry"])
def test_not_found_concepts_have_no_invented_codes(name: str) -> None:
    """terminology.md marks return to sport, sport-movement pain and strength measures NF: text only."""
    assert concept_set(name).codes == frozenset() and concept_set(name).text_patterns


@pytest.mark.parametrize(("name", "text", "matches"), [
    ("outcome-measure", "HOOS JR", True), ("outcome-measure", "Patient chooses", False),
    ("high-grade-hamstring-injury", "Complete tear", True),
    ("high-grade-hamstring-injury", "Incomplete tear", False),
    ("surgical-referral", "Non-surgical management", False),
    ("return-to-activity", "Return to sport", True),
])
def test_text_patterns_match_at_word_start(name: str, text: str, matches: bool) -> None:
    assert concept_set(name).has_text(text) is matches


def test_site_codes_join_their_concept_set() -> None:
    hagos = {"coding": [{"system": SITE, "code": "hagos-sport-rec"}]}
    assert not concept_set("outcome-measure").matches_concept(hagos)
    configure_site_codes({"outcome-measure": [f"{SITE}|hagos-sport-rec"]})
    assert concept_set("outcome-measure").matches_concept(hagos)
    assert f"{SITE}|hagos-sport-rec" in concept_set("outcome-measure").search_tokens()
    configure_site_codes({})
    assert not concept_set("outcome-measure").matches_concept(hagos)


@pytest.mark.parametrize(("raw", "message"), [
    ({"no-such-set": [f"{SITE}|x"]}, "unknown concept set 'no-such-set'"),
    ({"outcome-measure": ["hagos-sport-rec"]}, "not 'system|code'"),
    ({"outcome-measure": ["prom|hagos"]}, "absolute system URI"),
    ({"outcome-measure": [f"{SITE}|"]}, "not 'system|code'"),
    ({"outcome-measure": [f"{SITE}|a,b"]}, "not 'system|code'"),
])
def test_invalid_site_codes_are_refused(raw: dict, message: str) -> None:
    with pytest.raises(SiteCodesError, match=message):
        parse_site_codes(raw)


def test_a_failed_configuration_changes_nothing() -> None:
    configure_site_codes({"outcome-measure": [f"{SITE}|hagos-pain"]})
    with pytest.raises(SiteCodesError):
        configure_site_codes({"outcome-measure": ["bad"]})
    assert (SITE, "hagos-pain") in concept_set("outcome-measure").codes


def guideline_with_site_codes(tmp_path: Path, table: str) -> Path:
    text = (ROOT / "cards" / "guideline.toml").read_text()
    assert text.count("[terminology.site_codes]\n") == 1
    path = tmp_path / "guideline.toml"
    path.write_text(text.replace("[terminology.site_codes]\n", "[terminology.site_codes]\n" + table + "\n"))
    return path


def test_site_codes_from_the_guideline_config_reach_prefetch_and_matching(tmp_path: Path, settings: dict) -> None:
    path = guideline_with_site_codes(tmp_path, f'outcome-measure = ["{SITE}|hagos-sport-rec"]\n'
                                               'strength-symmetry = ["urn:oid:1.2.3|knee-flex-lsi"]')
    client: FlaskClient = create_app({**settings, "guideline_file": path}, today=lambda: b.AS_OF).test_client()
    prefetch = client.get("/cds-services").get_json()["services"][0]["prefetch"]
    assert f"{SITE}|hagos-sport-rec" in prefetch["observations"]
    assert "urn:oid:1.2.3|knee-flex-lsi" in prefetch["observations"]
    recent = b.outcome("2026-11-10", 50, system=SITE, code="hagos-sport-rec")
    start = "2026-09-01"
    body = b.hook_request("patient-view", observations=b.bundle(recent),
                          procedures=b.bundle(*b.sessions(start, 12)),
                          serviceRequests=b.bundle(b.pt_order(
                              "pt-rec", status="active", occurrencePeriod={"start": start, "end": "2026-12-31"},
                              quantityQuantity={"value": 24, "unit": "sessions"})))
    cards = client.post("/cds-services/hamstring-rehab-patient-view", json=body).get_json()["cards"]
    assert "HAM-08" not in [c["source"]["topic"]["code"] for c in cards]


def test_app_refuses_to_start_on_an_unknown_concept_set(tmp_path: Path, settings: dict) -> None:
    path = guideline_with_site_codes(tmp_path, f'outcome-measures = ["{SITE}|hagos-sport-rec"]')
    with pytest.raises(SiteCodesError, match="outcome-measures"):
        create_app({**settings, "guideline_file": path})


def test_remembered_answers_follow_the_content_not_the_object() -> None:
    from fhir_mappings.terminology import concept_set

    pain = concept_set("pain-score")
    concept = {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]}
    assert pain.matches_concept(concept) and pain.matches_concept(dict(concept))
    concept["coding"] = [{"system": "http://loinc.org", "code": "8867-4"}]
    assert not pain.matches_concept(concept)
    assert pain.matches_concept({"text": "Pain score", "coding": [{"code": 10**30}]})  # not JSON-shaped: still read
