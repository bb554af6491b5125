"""docs/criteria.md is generated from the configuration and must not go stale."""

from __future__ import annotations

from pathlib import Path

from cards.catalogue import render
from cards.config import load_guideline
from cards.rules import ALL_CRITERIA

DOC = Path(__file__).resolve().parents[1] / "docs" / "criteria.md"


def test_docs_criteria_is_current() -> None:
    assert DOC.read_text() == render(load_guideline()), "run: python -m cards.catalogue > docs/criteria.md"


def test_every_criterion_has_a_row_with_its_thresholds() -> None:
    text = DOC.read_text()
    for cid in ALL_CRITERIA:
        assert f"| {cid} |" in text
    assert "`min_program_days` = 90" in text and "`max_analgesic_days` = 7" in text
