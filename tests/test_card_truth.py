"""Every rendered card states only what its finding observed and its configuration says: no number that is
neither an observed value, a threshold nor written in the reviewed text; no negative number; no
placeholder or empty value. Checked over every example and scenario fixture."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cards.config import CriterionConfig, Guideline
from cds_service import create_app
from tests.bundled import every_request

ROOT = Path(__file__).resolve().parents[1]
DATE = re.compile(r"\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?")
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")
DOI = re.compile(r"\(https?://[^)]*\)|doi:\S+|<https?://[^>]*>")


CASES = [(r.name, r.as_of, r.service, r.body) for r in every_request()]


def numbers(text: str) -> set[str]:
    return {n.lstrip("-") for n in NUMBER.findall(DOI.sub("", DATE.sub("", text)))}


def written_numbers(cfg: CriterionConfig, guideline: Guideline) -> set[str]:
    """Numbers the reviewed text itself writes (\"3 months\", \"0-10\"), outside any placeholder."""
    texts = [cfg.summary, cfg.detail, cfg.local_policy or "", guideline.meta.carries_other_edits or ""]
    texts += [t for s in cfg.suggestions.values() for t in (s.label, s.description)]
    texts += [p for table in cfg.phrases.values() for p in table.values()]
    texts += [f"{e.supports} {e.citation}" for key, e in guideline.file.evidence.items() if key in cfg.evidence]
    return set().union(*(numbers(re.sub(r"\{[^}]*\}", "", t)) for t in texts))


@pytest.mark.parametrize(("name", "as_of", "service", "body"), CASES, ids=[c[0] for c in CASES])
def test_cards_state_only_their_findings_values(name: str, as_of: str, service: str, body: dict[str, Any],
                                                tmp_path: Path) -> None:
    app = create_app({"instance_path": tmp_path / "instance", "auth_required": False})
    state = app.extensions["cds"]
    outcome = state.pipeline.run(service, body, as_of=date.fromisoformat(as_of))
    for finding, card in outcome.rendered:
        cfg = state.guideline.criterion(finding.criterion_id)
        thresholds = state.guideline.template_values(finding.criterion_id)
        allowed = written_numbers(cfg, state.guideline)
        allowed |= set().union(set(), *(numbers(str(v)) for v in [*finding.observed.values(), *thresholds.values()]))
        texts = [card["summary"], card["detail"]]
        for suggestion in card.get("suggestions", []):
            texts += [suggestion["label"], *(action["description"] for action in suggestion["actions"])]
        for text in texts:
            stray = numbers(text) - allowed
            assert not stray, f"{finding.criterion_id} states {sorted(stray)}, not in its finding: {text}"
            assert not re.search(r"(?<![\w-])-\d", DATE.sub("", DOI.sub("", text))), f"negative number: {text}"
            assert "{" not in text and "}" not in text, f"unfilled placeholder: {text}"
            assert not re.search(r"\(\s*-?\s*\)|, -\)|\bNone\b|\bnull\b|\bunknown\b", text), f"placeholder: {text}"


def test_a_phrase_key_is_found_in_the_detail_too_whatever_its_characters(tmp_path: Path) -> None:
    """The detail escapes observed text for markdown; the phrase is still chosen by the key as observed."""
    from cards.config import DEFAULT_GUIDELINE_FILE, load_guideline
    from cards.findings import Finding
    from cards.render import render_card

    edited = tmp_path / "guideline.toml"
    edited.write_text(DEFAULT_GUIDELINE_FILE.read_text().replace('elapsed = "so far, counting from its start"',
                                                                 'so_far = "so far, counting from its start"'))
    finding = Finding(criterion_id="HAM-06", observed={"order": "Bed rest", "rest_hours": 120, "rest_days": 5,
                                                        "basis": "so_far"})
    card = render_card(finding, load_guideline(edited), lambda fix, description: None)
    assert "so far, counting from its start" in card["detail"] and "so\\_far" not in card["detail"]


@pytest.mark.parametrize(("criterion", "observed", "wording"), [
    ("HAM-03", {"basis": "draft"}, "draft order"),
    ("HAM-04", {"missing": "both"}, "hip and trunk strengthening and single-leg motor control"),
    ("HAM-04", {"missing": "motor-control"}, "single-leg motor control"),
    ("HAM-10", {"treatment_days": 21, "change": "pain", "before": 6, "after": 7}, "pain 6/10 to 7/10"),
    ("HAM-10", {"treatment_days": 21, "change": "outcome", "instrument": "LEFS", "before": 40, "after": 38},
     "LEFS 40 to 38"),
])
def test_rules_return_keys_and_the_configuration_words_them(criterion: str, observed: dict[str, Any],
                                                            wording: str) -> None:
    from cards.config import load_guideline
    from cards.findings import Finding
    from cards.render import render_card

    card = render_card(Finding(criterion_id=criterion, observed=observed), load_guideline(),
                       lambda fix, description: None)
    assert wording in card["summary"] + card["detail"]
