"""Free text read with its assertion status: is a concept AFFIRMED in a text, or negated, hypothetical or
conditional, historical, about someone else, or about another body site or problem?

Every mapper that matches a concept in free text asks `is_affirmed` (through `ConceptSet.has_text`). Two
stages: the concept set's text patterns find candidate mentions (one regex, anchored at word starts), and
only when one matches does medspaCy's ConText (NegEx's successor: Harkema et al. 2009; Eyre et al. 2021)
judge them. The pipeline (fhir_mappings/context_pipeline.py) is spaCy's blank English tokenizer, a rule-based
sentence splitter and ConText with its default English rules plus ours (`assertion/context-rules.json`: each
rule names its source; the file also names the default rules it replaces). The matched spans are
ConText's targets, labelled with the concept set's id, so it judges exactly our mentions, each modifier within
its sentence. A mention counts when none of its modifiers is in a category the rules file's `notAffirmed`
lists, unless the concept set accepts that category (`TextConcept.counted`: a discontinuation written in the
past, "PT d/c'd last week", still stops therapy). The text is affirmed when one mention counts;
`counted_mentions` gives each mention's own answer.

Answers are kept per (concept set, text) in a bounded dict. The pipeline is built once per process under a
lock: `load()` at start-up (reference data check: app factory, serve, evaluate), so no request pays for it.
spaCy 3.7 keeps every string it has seen (about 0.6 KB each), so a long-lived worker would grow with every
new word: when the string store has grown by VOCABULARY_LIMIT, a thread builds a fresh pipeline and swaps
it in.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from fhir_mappings.context_pipeline import ContextPipeline as _Reader
from fhir_mappings.phrase_regex import phrase_tree_pattern

RULES_FILE = Path(__file__).with_name("assertion") / "context-rules.json"
ANSWERS_LIMIT = 4096  # remembered (concept set, text) answers
VOCABULARY_LIMIT = 50_000  # strings learnt from texts before the pipeline is rebuilt (about 30 MB)


@dataclass(frozen=True)
class TextConcept:
    """A concept set as the assertion step sees it: its id (ConText's target label), its word-start regex over
    lower-case text, and the ConText categories that still count as a mention of it."""

    label: str
    pattern: re.Pattern[str]
    counted: frozenset[str] = frozenset()


def word_start_regex(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for lower-case phrases, each matching at a word start (not after a letter or digit)."""
    unique = {p.lower() for p in phrases}
    if not unique:
        return None
    return re.compile(rf"(?<![^\W_])(?:{phrase_tree_pattern(unique)})")  # longest phrase first, as a tree


_lock = threading.Lock()
T = TypeVar("T")
_reader: _Reader | None = None
_rebuilding: threading.Thread | None = None
_answers: dict[tuple[str, str], bool] = {}
_mentions: dict[tuple[str, str], list[tuple[int, int]]] = {}


def load() -> None:
    """Build the pipeline now (at start-up), reading and checking the rules file."""
    with _lock:
        _ready()


def _ready() -> _Reader:
    """The pipeline (called under the lock). One that has outgrown its vocabulary keeps answering while a
    thread builds its replacement (about a second), so no request waits for it."""
    global _reader, _rebuilding
    if _reader is None:
        _reader = _Reader(_config())
    elif _rebuilding is None and _reader.outgrown(VOCABULARY_LIMIT):
        _rebuilding = threading.Thread(target=_rebuild, name="text-assertion-rebuild", daemon=True)
        _rebuilding.start()
    return _reader


def _rebuild() -> None:
    global _reader, _rebuilding
    fresh = _Reader(_config())
    with _lock:
        _reader, _rebuilding = fresh, None


def _config() -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(RULES_FILE.read_text(encoding="utf-8")))


def is_affirmed(text: str | None, concept: TextConcept) -> bool:
    """True when the text mentions the concept at least once as affirmed (see the module docstring)."""
    if not text:
        return False
    lowered = text.lower()  # what the patterns and ConText's rules read (the tokenizer's exceptions are lower-case)
    spans = [m.span() for m in concept.pattern.finditer(lowered + " ")]  # a pattern may end in a space: 'ortho '
    if not spans:
        return False
    return _remembered(_answers, (concept.label, text), lambda: _ready().affirmed(_closed(lowered), spans, concept))


def counted_mentions(text: str, concept: TextConcept) -> list[tuple[int, int]]:
    """The character spans of the concept's mentions in the text that count, each judged on its own."""
    lowered = text.lower()
    spans = [m.span() for m in concept.pattern.finditer(lowered)]
    if not spans:
        return []
    return _remembered(_mentions, (concept.label, text), lambda: _ready().counted(_closed(lowered), spans, concept))


def _remembered(answers: dict[tuple[str, str], T], key: tuple[str, str], judge: Callable[[], T]) -> T:
    """The answer kept for (concept set, text), else `judge()` run under the pipeline's lock and kept."""
    known = answers.get(key)
    if known is None:
        with _lock:
            known = judge()
            if len(answers) >= ANSWERS_LIMIT:
                answers.clear()
            answers[key] = known
    return known


def not_affirmed() -> frozenset[str]:
    """The ConText categories that keep a mention from counting (the rules file's `notAffirmed`)."""
    return frozenset(_config()["notAffirmed"])


def _closed(text: str) -> str:
    """The text ending in a full stop, so that rules reading 'not yet.' or 'ruled out.' also see its end."""
    return text if text.rstrip()[-1:] in {".", "!", "?", ";"} else text + "."


def clear_answers() -> None:
    """Forget remembered answers (benchmarks measure a process that has not read these texts)."""
    with _lock:
        _answers.clear()
        _mentions.clear()
