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
    assert "`max_analgesic_days` = 7" in text


def test_a_threshold_changed_in_review_changes_what_the_page_says_fires(tmp_path: Path) -> None:
    from cards.config import DEFAULT_GUIDELINE_FILE

    edited = tmp_path / "guideline.toml"
    edited.write_text(DEFAULT_GUIDELINE_FILE.read_text().replace("max_analgesic_days = 7", "max_analgesic_days = 5"))
    row = next(line for line in render(load_guideline(edited)).splitlines() if line.startswith("| HAM-05 |"))
    assert "longer than 5 days" in row and "longer than 7 days" not in row


def test_fires_when_may_name_only_thresholds(tmp_path: Path) -> None:
    import pytest

    from cards.config import DEFAULT_GUIDELINE_FILE, GuidelineConfigError

    text = DEFAULT_GUIDELINE_FILE.read_text()
    start = text.index('fires_when = "an acetaminophen')
    end = text.index("\n", start)
    edited = tmp_path / "guideline.toml"
    edited.write_text(text[:start] + 'fires_when = "a course of {course_days} days"' + text[end:])
    with pytest.raises(GuidelineConfigError, match="fires_when uses unknown placeholders"):
        load_guideline(edited)
