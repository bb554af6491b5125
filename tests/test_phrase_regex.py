"""The prefix-tree regex of a concept set's phrases matches exactly what the plain alternation of the phrases,
longest first, matched (fhir_mappings/phrase_regex.py): same spans on every concept set and on random phrases
built to share prefixes."""

from __future__ import annotations

import random
import re

import pytest

from fhir_mappings.phrase_regex import phrase_tree_pattern
from fhir_mappings.terminology import all_concept_sets
from fhir_mappings.text_assertion import word_start_regex

SEPARATORS = (" ", "; ", ", no ", "-", "", "x", " and ", ". ")


def plain_alternation(phrases: set[str]) -> re.Pattern[str]:
    """The regex as written before the tree: every phrase, longest first."""
    ordered = sorted(phrases, key=len, reverse=True)
    return re.compile(rf"(?<![^\W_])(?:{'|'.join(re.escape(p) for p in ordered)})")


def spans(regex: re.Pattern[str] | None, text: str) -> list[tuple[int, int]]:
    return [m.span() for m in regex.finditer(text)] if regex is not None else []


def texts_from(phrases: list[str], rng: random.Random) -> list[str]:
    """Phrases in running text: whole, cut short, run together, after a letter, in upper case."""
    texts = []
    for start in range(0, len(phrases), 6):
        group = phrases[start : start + 6]
        texts.append("".join(p + rng.choice(SEPARATORS) for p in group))
        texts.append(" ".join(p[: max(1, len(p) - 2)] for p in group))
        texts.append("re" + "".join(group))
        texts.append(" ".join(p.upper() for p in group).lower() + " ")
    return texts


@pytest.mark.parametrize("set_id", sorted(all_concept_sets()))
def test_every_concept_set_matches_as_the_plain_alternation(set_id: str) -> None:
    phrases = {p.lower() for p in all_concept_sets()[set_id].text_patterns}
    if not phrases:
        pytest.skip("no text patterns")
    rng = random.Random(set_id)
    sample = sorted(phrases) if len(phrases) <= 200 else rng.sample(sorted(phrases), 200)
    plain, tree = plain_alternation(phrases), word_start_regex(phrases)
    for text in texts_from(sample, rng):
        assert spans(tree, text) == spans(plain, text), text


def test_random_phrases_sharing_prefixes_match_as_the_plain_alternation() -> None:
    rng = random.Random(4057)
    for _ in range(300):
        phrases = {"".join(rng.choice("ab ") for _ in range(rng.randint(1, 5))) for _ in range(rng.randint(1, 12))}
        plain, tree = plain_alternation(phrases), word_start_regex(phrases)
        for _ in range(20):
            text = "".join(rng.choice("ab .") for _ in range(rng.randint(0, 30)))
            assert spans(tree, text) == spans(plain, text), (sorted(phrases), text)


def test_the_longest_phrase_at_a_start_is_taken_and_special_characters_are_literal() -> None:
    tree = re.compile(phrase_tree_pattern(["d/c", "d/c'd", "d/c pt", "p.t.", "pt"]))
    assert [m.group() for m in tree.finditer("d/c'd p.t. then d/c pt, d/cx ptx p-t")] == [
        "d/c'd",
        "p.t.",
        "d/c pt",
        "d/c",
        "pt",
    ]
    assert phrase_tree_pattern([]) == ""
