"""Free text read with its assertion status: is a concept AFFIRMED in a text, or negated, hypothetical or
conditional, historical, about someone else, or about another body site or problem?

Every mapper that matches a concept in free text asks `is_affirmed` (through `ConceptSet.has_text`). Two
stages: the concept set's text patterns find candidate mentions (one regex, anchored at word starts), and
only when one matches does medspaCy's ConText (NegEx's successor: Harkema et al. 2009; Eyre et al. 2021)
judge them. The pipeline is spaCy's blank English tokenizer, a rule-based sentence splitter and ConText with
its default English rules plus ours (`assertion/context-rules.json`: each rule names its source; the file
also names the three default rules it replaces). The matched spans are ConText's targets, labelled with the
concept set's id, so it judges exactly our mentions, each modifier within its sentence. A mention counts when none of
its modifiers is in a category the rules file's `notAffirmed` lists, unless the concept set accepts that
category (`TextConcept.counted`: a discontinuation written in the past, "PT d/c'd last week", still stops
therapy). The text is affirmed when one mention counts.

Answers are kept per (concept set, text) in a bounded dict. The pipeline is built once per process under a
lock: `load()` at start-up (reference data check: app factory, serve, evaluate), so no request pays for it.
spaCy 3.7 keeps every string it has seen (about 0.6 KB each), so a long-lived worker would grow with every
new word: when the string store has grown by VOCABULARY_LIMIT, a thread builds a fresh pipeline and swaps
it in.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import threading
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from fhir_mappings.phrase_regex import phrase_tree_pattern

RULES_FILE = Path(__file__).with_name("assertion") / "context-rules.json"
ANSWERS_LIMIT = 4096  # remembered (concept set, text) answers
VOCABULARY_LIMIT = 50_000  # strings learnt from texts before the pipeline is rebuilt (about 30 MB)
PHRASES_PER_RULE = 2000  # a rule whose word lists multiply to more stays a token pattern
_RULE_KEYS = ("literal", "category", "pattern", "direction", "allowed_types", "excluded_types", "max_scope",
              "max_targets", "metadata")


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


class _Reader:
    """This process's spaCy pipeline: tokenizer, sentence splitter, ConText with the configured rules."""

    def __init__(self, config: dict[str, Any]) -> None:
        # spaCy 3.7 imports a click helper that warns of its deprecation, and medspaCy's matcher module turns
        # every warning off for the whole process when imported: catch_warnings restores the filters after.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import spacy
            from medspacy.context import ConTextRule  # registers the "medspacy_context" pipe

        self.nlp = spacy.blank("en")
        self.sentences = self.nlp.add_pipe("sentencizer", config={"punct_chars": config["sentenceEnds"]})
        self.context = cast(Any, self.nlp.add_pipe("medspacy_context", config={"rules": None, "span_attrs": None}))
        replaced = set(config["replacesDefaultRules"])
        rules = [r for r in ConTextRule.from_json(self.context.DEFAULT_RULES_FILEPATH) if r.literal not in replaced]
        rules += [ConTextRule(**{k: v for k, v in rule.items() if k in _RULE_KEYS},
                              on_modifies=_reaches(rule.get("metadata", {}), config["listWords"],
                                                   config["clausePredicates"]["words"]))
                  for rule in config["context_rules"]]
        for rule in rules:  # not a component setting: spaCy's config check turns its lists into iterators
            rule.terminated_by.update(config["terminatingTypes"].get(rule.category, ()))
        self.context.add([phrase for rule in rules for phrase in _as_phrases(rule, self.nlp, ConTextRule)])
        self.not_affirmed = frozenset(config["notAffirmed"])
        self.strings_at_start = len(self.nlp.vocab.strings)

    def counted(self, text: str, spans: list[tuple[int, int]], concept: TextConcept) -> list[tuple[int, int]]:
        """The mentions (character spans of the text) that count, each judged on its own."""
        from spacy.util import filter_spans

        excluded = self.not_affirmed - concept.counted
        doc = self.sentences(self.nlp.make_doc(text))
        targets = [doc.char_span(s, min(e, len(text)), label=concept.label, alignment_mode="expand") for s, e in spans]
        doc.ents = filter_spans([t for t in targets if t is not None])
        self.context(doc)  # each modifier's scope ends at its sentence's end
        return [(t.start_char, t.end_char) for t in doc.ents
                if not any(m.category in excluded for m in t._.modifiers)]

    def affirmed(self, text: str, spans: list[tuple[int, int]], concept: TextConcept) -> bool:
        return bool(self.counted(text, spans, concept))

    def outgrown(self) -> bool:
        return len(self.nlp.vocab.strings) - self.strings_at_start > VOCABULARY_LIMIT


def _as_phrases(rule: Any, nlp: Any, rule_type: Any) -> list[Any]:
    """The rule as the word sequences it matches, when its pattern is only words (in lists, or optional).

    Same matches, found faster: spaCy's Matcher tests an `IN` list in Python for every token and pattern
    (about 1 ms for a 25-word sentence with these rules); its PhraseMatcher looks word sequences up.
    A sequence the tokenizer would split differently stays a token pattern of those exact words.
    """
    options = [_words(token) for token in rule.pattern] if isinstance(rule.pattern, list) else [None]
    if any(o is None for o in options) or math.prod(len(o) for o in options if o) > PHRASES_PER_RULE:
        return [rule]
    same = {"category": rule.category, "direction": rule.direction, "on_modifies": rule.on_modifies,
            "allowed_types": rule.allowed_types, "excluded_types": rule.excluded_types,
            "max_scope": rule.max_scope, "max_targets": rule.max_targets, "terminated_by": rule.terminated_by,
            "metadata": rule.metadata}
    phrases = []
    for choice in itertools.product(*options):
        words = [w for w in choice if w]
        if not words:
            continue
        phrase = " ".join(words)
        same_tokens = [t.lower_ for t in nlp.make_doc(phrase)] == words
        phrases.append(rule_type(literal=phrase, pattern=None if same_tokens else [{"LOWER": w} for w in words],
                                 **same))
    return phrases


def _words(token: dict[str, Any]) -> list[str] | None:
    """The words a token pattern accepts ('' when optional), or None when it tests anything else."""
    if set(token) - {"OP"} == {"LOWER"}:
        value = token["LOWER"]
        words = [value] if isinstance(value, str) else value.get("IN") if set(value) == {"IN"} else None
    elif set(token) - {"OP"} == {"ORTH"} and isinstance(token["ORTH"], str) and token["ORTH"] == token["ORTH"].lower():
        words = [token["ORTH"]]
    else:
        return None
    if words is None or token.get("OP") not in (None, "?"):
        return None
    return [w.lower() for w in words] + ([""] if token.get("OP") == "?" else [])


def _reaches(metadata: dict[str, Any], list_words: Iterable[str],
             predicates: Iterable[str] = ()) -> Callable[[Any, Any, Any], bool] | None:
    """`metadata.before`: a BIDIRECTIONAL modifier reaches this many tokens back (and to the sentence end).
    `metadata.clauseMarks`: a modifier does not reach over a mark that ends a clause of its own and opens
    another: written after its concept, when words stand between the mark and the modifier ('Nordic curls
    continued, stretching stopped'); written before it, when the modifier has its object before the mark ('No
    sprinting, Nordics continue'). A list word after the mark joins the two ('Nordics, RDLs and sprinting
    stopped', 'avoid sprinting, jumping and Nordics'). `metadata.notObjects`: a modifier followed by a word
    not in this list has an object of its own and reaches nothing before it ('stopped static stretching').
    Words before the mark with no predicate of their own (`clausePredicates`) are a list's first items, so the
    stop after its last reaches them ('Nordic curls, RDLs stopped'). `metadata.adjacent`: the modifier reaches
    `metadata.adjacentFor`: of a concept set listed, the modifier reaches only a mention at most that many
    words away, no comma or list word between ('eccentric calf raises', not 'Nordics, calf raises')."""
    tokens, marks, joins = metadata.get("before"), frozenset(metadata.get("clauseMarks", ())), frozenset(list_words)
    not_objects, adjacent_for = frozenset(metadata.get("notObjects", ())), metadata.get("adjacentFor", {})
    own = frozenset(predicates)
    if tokens is None and not marks and not adjacent_for:
        return None

    def is_clause(words: Any) -> bool:  # a status, a dose or a past participle: 'continued', '3x5'
        return any(t.lower_ in own or t.like_num or any(c.isdigit() for c in t.text)
                   or (len(t) > 4 and t.lower_.endswith("ed")) for t in words)

    def within(target: Any, modifier: Any, _between: Any) -> bool:
        doc = target.doc
        adjacent = adjacent_for.get(target.label_)
        if adjacent is not None:
            gap = doc[modifier.end:target.start] if target.start >= modifier.end else doc[target.end:modifier.start]
            return len(gap) <= adjacent and not any(t.lower_ in joins or t.text in {",", ";", "/"} for t in gap)
        if target.start >= modifier.end:  # the concept after the modifier
            last = max((t.i for t in doc[modifier.end:target.start] if t.text in marks), default=None)
            return last is None or any(t.lower_ in joins for t in doc[last:target.start])
        if tokens is not None and modifier.start - target.end > tokens:
            return False
        if not_objects and modifier.end < len(doc) and doc[modifier.end].is_alpha \
                and doc[modifier.end].lower_ not in not_objects:
            return False  # the modifier has an object of its own: 'stopped static stretching'
        last = max((t.i for t in doc[target.end:modifier.start] if t.text in marks), default=modifier.start - 1)
        return last == modifier.start - 1 or any(t.lower_ in joins for t in doc[last:modifier.start]) \
            or not is_clause(doc[target.end:last])

    return within


_lock = threading.Lock()
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
    elif _rebuilding is None and _reader.outgrown():
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
    key = (concept.label, text)
    known = _answers.get(key)
    if known is None:
        with _lock:
            known = _ready().affirmed(_closed(lowered), spans, concept)
            if len(_answers) >= ANSWERS_LIMIT:
                _answers.clear()
            _answers[key] = known
    return known


def counted_mentions(text: str, concept: TextConcept) -> list[tuple[int, int]]:
    """The character spans of the concept's mentions in the text that count, each judged on its own."""
    lowered = text.lower()
    spans = [m.span() for m in concept.pattern.finditer(lowered)]
    if not spans:
        return []
    key = (concept.label, text)
    known = _mentions.get(key)
    if known is None:
        with _lock:
            known = _ready().counted(_closed(lowered), spans, concept)
            if len(_mentions) >= ANSWERS_LIMIT:
                _mentions.clear()
            _mentions[key] = known
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
