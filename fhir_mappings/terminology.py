"""Concept sets as data: FHIR ValueSet-like JSON files under `fhir_mappings/terminology/`.

Each file lists exact codes (`concept`), code families (`filter` with op `is-a`, matched as a dotless
prefix, which is how ICD-10-CM's hierarchy works) and `textPatterns` for codings that carry text only.
Codes come with their source and confidence (terminology.md); none is written in a mapper.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

TERMINOLOGY_DIR = Path(__file__).with_name("terminology")


@dataclass(frozen=True)
class ConceptSet:
    id: str
    codes: frozenset[tuple[str, str]]
    prefixes: tuple[tuple[str, str], ...]
    text_patterns: tuple[str, ...]

    def has_code(self, system: str | None, code: str | None) -> bool:
        if not system or not code:
            return False
        if (system, code) in self.codes:
            return True
        bare = code.replace(".", "").upper()
        return any(system == s and bare.startswith(p) for s, p in self.prefixes)

    def has_text(self, text: str | None) -> bool:
        if not text:
            return False
        lowered = text.lower()
        return any(p in lowered for p in self.text_patterns)

    def matches_concept(self, concept: Any) -> bool:
        """True when a raw CodeableConcept dict has a coding in the set or matching text."""
        if not isinstance(concept, dict):
            return False
        codings = concept.get("coding")
        if isinstance(codings, list):
            for coding in codings:
                if isinstance(coding, dict) and (
                    self.has_code(coding.get("system"), coding.get("code")) or self.has_text(coding.get("display"))
                ):
                    return True
        text = concept.get("text")
        return self.has_text(text) if isinstance(text, str) else False

    def search_tokens(self) -> list[str]:
        """`system|code` tokens for exact codes, for prefetch templates (families cannot be searched)."""
        return sorted(f"{system}|{code}" for system, code in self.codes)


def _parse(data: dict[str, Any]) -> ConceptSet:
    codes: set[tuple[str, str]] = set()
    prefixes: list[tuple[str, str]] = []
    for include in data.get("compose", {}).get("include", []):
        system = include["system"]
        codes.update((system, c["code"]) for c in include.get("concept", []))
        prefixes.extend((system, f["value"].replace(".", "").upper()) for f in include.get("filter", [])
                        if f.get("op") == "is-a")
    patterns = tuple(p.lower() for p in data.get("textPatterns", []))
    return ConceptSet(id=data["id"], codes=frozenset(codes), prefixes=tuple(prefixes), text_patterns=patterns)


@cache
def concept_set(name: str) -> ConceptSet:
    path = TERMINOLOGY_DIR / f"{name}.json"
    return _parse(json.loads(path.read_text(encoding="utf-8")))


def all_concept_sets() -> dict[str, ConceptSet]:
    return {p.stem: concept_set(p.stem) for p in sorted(TERMINOLOGY_DIR.glob("*.json"))}
