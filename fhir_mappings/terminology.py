"""Concept sets as data: FHIR ValueSet-like JSON files under `fhir_mappings/terminology/`.

Each file lists exact codes (`concept`), code families (`filter` with op `is-a`, matched as a dotless
prefix, which is how ICD-10-CM's hierarchy works) and `textPatterns` for codings that carry text only.
A text pattern matches at the start of a word ("hoos" matches "HOOS JR", not "choose"; "complete tear"
does not match "incomplete tear"), and free text counts only where the mention is affirmed: not negated,
conditional, historical or about another site (fhir_mappings/text_assertion.py; a set may still count some
of those: `textAssertion.stillCounts`). A set may tolerate one-letter typos of some words (`textTypos`:
fhir_mappings/typos.py). A coding whose code is in the set matches whatever its display
says: the display is the code's label, not free text. Codes come with their source and confidence
(terminology.md); none is written in a mapper.

Site codes: a deployment adds its local codes (`system|code`) to a concept set through the service
setting `site_codes` (see docs/site-codes.md). `configure_site_codes` validates them at start-up and
they then count as members of the set for matching and for prefetch templates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import orjson

from fhir_mappings.text_assertion import TextConcept, is_affirmed, word_start_regex
from fhir_mappings.typos import one_edit_forms

TERMINOLOGY_DIR = Path(__file__).with_name("terminology")
# Every concept set the mappers read, one file each: checked at start-up (fhir_mappings/reference_data.py),
# so a file missing from an installation stops the service with its name instead of failing a request.
CONCEPT_SETS = (
    "complete-rest", "eccentric-strengthening", "hamstring-injury", "hamstring-region", "hamstring-related-problem",
    "hamstring-repair", "high-grade-hamstring-injury", "hip-trunk-strengthening", "lower-grade-hamstring-injury",
    "motor-control", "muscle-weakness", "orthopaedic-referral", "other-body-site", "outcome-lower-is-better",
    "outcome-measure", "pain-score", "physical-therapy", "return-to-activity",
    "severe-severity", "specialist-referral", "sport-movement-pain", "strength-symmetry", "surgical-referral",
    "therapy-discontinuation",
    # program-level logic (issue 15 §1): evaluation-only orders, continuations, stops because of pain
    "discontinuation-wording", "pain-or-intolerance", "physical-therapy-evaluation", "stopped-for-pain",
    "therapy-continuation", "therapy-treatment",
    # each side's strength paired into a symmetry (limb_symmetry.py)
    "limb-side-left", "limb-side-right",
)
_SYSTEM = re.compile(r"^(https?://\S+|urn:(oid|uuid):\S+)$")
_site_codes: dict[str, frozenset[tuple[str, str]]] = {}
ANSWERS_LIMIT = 1024  # remembered matches_concept answers per concept set


class SiteCodesError(ValueError):
    """A configured site code names an unknown concept set or is not `system|code`."""


@dataclass(frozen=True)
class ConceptSet:
    id: str
    codes: frozenset[tuple[str, str]]
    prefixes: tuple[tuple[str, str], ...]
    text_patterns: tuple[str, ...]
    counted_in_text: frozenset[str] = frozenset()  # ConText categories that still count (textAssertion.stillCounts)
    # Words that name nothing on their own (`neutralWords`; 'pain*' also covers longer forms): indications.py
    neutral_words: tuple[str, ...] = ()

    def has_code(self, system: Any, code: Any) -> bool:
        if not system or not code or not isinstance(system, str) or not isinstance(code, str):
            return False  # a coding whose system or code is another JSON type (invalid R4) names nothing
        if (system, code) in self.codes:
            return True
        bare = code.replace(".", "").upper()
        return any(system == s and bare.startswith(p) for s, p in self.prefixes)

    def prepare(self) -> ConceptSet:
        """Compile the text patterns now (at start-up: a set of thousands of phrases takes about 0.1 s), so no
        request pays for it."""
        _ = self._text_concept
        return self

    @cached_property
    def _text_concept(self) -> TextConcept | None:
        """Kept on the set itself: looking it up by its patterns hashed thousands of phrases on every text."""
        return _text_concept(self.id, self.text_patterns, self.counted_in_text)

    def has_text(self, text: str | None) -> bool:
        """An affirmed mention of the set in free text (text_assertion.is_affirmed)."""
        return self._text_concept is not None and is_affirmed(text, self._text_concept)

    def occurs_in(self, text: str) -> bool:
        """The set's words occur in the text, whatever is said of them (no assertion step): what a text is about."""
        concept = self._text_concept
        return concept is not None and concept.pattern.search(text.lower() + " ") is not None

    def mentioned_in(self, texts: Iterable[Any]) -> bool:
        """An affirmed mention in any of the texts (each read on its own: negation does not cross fields)."""
        return any(self.has_text(t) for t in texts if isinstance(t, str))

    def matches_concept(self, concept: Any) -> bool:
        """True when a raw CodeableConcept dict has a coding in the set or matching text.

        Answers are remembered by content: resources of one request (and of the next) repeat their codes.
        """
        if not isinstance(concept, dict):
            return False
        try:
            key = orjson.dumps(concept)
        except orjson.JSONEncodeError:  # not JSON-shaped (an integer beyond 64 bits)
            return self._matches(concept)
        known = self._answers.get(key)
        if known is None:
            if len(self._answers) >= ANSWERS_LIMIT:
                self._answers.clear()
            known = self._answers[key] = self._matches(concept)
        return known

    @cached_property
    def _answers(self) -> dict[bytes, bool]:
        return {}

    def _matches(self, concept: dict[str, Any]) -> bool:
        codings = concept.get("coding")
        if isinstance(codings, dict):  # one coding where R4 has an array (vendor shape, read leniently)
            codings = [codings]
        codings = [c for c in codings if isinstance(c, dict)] if isinstance(codings, list) else []
        if any(self.has_code(c.get("system"), c.get("code")) for c in codings):
            return True
        return self.mentioned_in([*(c.get("display") for c in codings), concept.get("text")])

    def search_tokens(self) -> list[str]:
        """`system|code` tokens for exact codes, for prefetch templates (families cannot be searched)."""
        return sorted(f"{system}|{code}" for system, code in self.codes)


@cache
def _text_concept(set_id: str, patterns: tuple[str, ...], counted: frozenset[str]) -> TextConcept | None:
    """One compiled regex per set's patterns, kept across the set's copies (site codes make new ones)."""
    regex = word_start_regex(patterns)
    return TextConcept(set_id, regex, counted) if regex is not None else None


def _parse(data: dict[str, Any]) -> ConceptSet:
    codes: set[tuple[str, str]] = set()
    prefixes: list[tuple[str, str]] = []
    for include in data.get("compose", {}).get("include", []):
        system = include["system"]
        codes.update((system, c["code"]) for c in include.get("concept", []))
        prefixes.extend((system, f["value"].replace(".", "").upper()) for f in include.get("filter", [])
                        if f.get("op") == "is-a")
    patterns = tuple(p.lower() for p in data.get("textPatterns", [])) + tuple(
        sorted(one_edit_forms(data.get("textTypos", {}).get("words", []))))
    counted = frozenset(data.get("textAssertion", {}).get("stillCounts", []))
    neutral = tuple(w.lower() for w in data.get("neutralWords", []))
    return ConceptSet(id=data["id"], codes=frozenset(codes), prefixes=tuple(prefixes), text_patterns=patterns,
                      counted_in_text=counted, neutral_words=neutral)


@cache
def concept_set(name: str) -> ConceptSet:
    path = TERMINOLOGY_DIR / f"{name}.json"
    base = _parse(json.loads(path.read_text(encoding="utf-8")))
    extra = _site_codes.get(name)
    return replace(base, codes=base.codes | extra) if extra else base


def concept_set_ids() -> list[str]:
    return sorted(p.stem for p in TERMINOLOGY_DIR.glob("*.json"))


def parse_site_codes(raw: Mapping[str, Iterable[str]]) -> dict[str, frozenset[tuple[str, str]]]:
    """`{"outcome-measure": ["http://site/prom|hagos-pain"]}` -> codes per set; SiteCodesError if invalid."""
    known = set(concept_set_ids())
    parsed: dict[str, frozenset[tuple[str, str]]] = {}
    for set_id, entries in raw.items():
        if set_id not in known:
            raise SiteCodesError(f"site_codes: unknown concept set '{set_id}'; known sets: {sorted(known)}")
        codes = set()
        for entry in [entries] if isinstance(entries, str) else entries:
            system, _, code = str(entry).strip().partition("|")
            if not _SYSTEM.match(system) or not code.strip() or "|" in code or "," in code:
                raise SiteCodesError(f"site_codes.{set_id}: {entry!r} is not 'system|code' with an absolute "
                                     "system URI (http(s)://, urn:oid: or urn:uuid:)")
            codes.add((system, code.strip()))
        parsed[set_id] = frozenset(codes)
    return parsed


def configure_site_codes(raw: Mapping[str, Iterable[str]]) -> None:
    """Replace the site codes of this process (called once at start-up); validates before changing anything."""
    parsed = parse_site_codes(raw)
    _site_codes.clear()
    _site_codes.update(parsed)
    concept_set.cache_clear()


def site_codes() -> dict[str, frozenset[tuple[str, str]]]:
    return dict(_site_codes)


def all_concept_sets() -> dict[str, ConceptSet]:
    return {name: concept_set(name) for name in concept_set_ids()}
