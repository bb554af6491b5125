"""medspaCy's ConText pipeline built from the rules file (`assertion/context-rules.json`): spaCy's blank English
tokenizer, a rule-based sentence splitter, and ConText with its default English rules plus ours, the rules
written as phrases where they are only words, each with how far its modifier reaches (clause marks, lists,
adjacency: `_reaches`). It judges the mentions fhir_mappings/text_assertion.py finds; that module builds it,
keeps its answers and rebuilds it when its vocabulary has grown.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from fhir_mappings.text_assertion import TextConcept

PHRASES_PER_RULE = 2000  # a rule whose word lists multiply to more stays a token pattern
_RULE_KEYS = ("literal", "category", "pattern", "direction", "allowed_types", "excluded_types", "max_scope",
              "max_targets", "metadata")


class ContextPipeline:
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

    def outgrown(self, limit: int) -> bool:
        """The string store has grown by more than `limit` strings since it was built."""
        return len(self.nlp.vocab.strings) - self.strings_at_start > limit


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
