"""medspaCy's ConText pipeline built from the rules file (`assertion/context-rules.json`): spaCy's blank English
tokenizer, a rule-based sentence splitter, and ConText with its default English rules plus ours, the rules
written as phrases where they are only words, each with how far its modifier reaches (clause marks, lists,
adjacency: fhir_mappings/context_reach.py). It judges the mentions fhir_mappings/text_assertion.py finds; that
module builds it, keeps its answers and rebuilds it when its vocabulary has grown.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import TYPE_CHECKING, Any, cast

from fhir_mappings.context_reach import reaches

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
        causes = {tuple(t.lower_ for t in self.nlp.make_doc(words)) for words in config["causeWords"]["words"]}
        rules += [_rule(rule, config, ConTextRule, causes) for rule in config["context_rules"]]
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
        # medspaCy never lets a modifier judge a mention inside its own words: a rule's `metadata.covers` does,
        # for the concept sets it names ('pain resolved': the pain is no reason to stop)
        covering = [m.modifier_span for m in doc._.context_graph.modifiers if m.category in excluded
                    and concept.label in (m.rule.metadata or {}).get("covers", ())]
        return [(t.start_char, t.end_char) for t in doc.ents
                if not any(m.category in excluded for m in t._.modifiers)
                and not any(s < t.end and t.start < e for s, e in covering)]

    def affirmed(self, text: str, spans: list[tuple[int, int]], concept: TextConcept) -> bool:
        return bool(self.counted(text, spans, concept))

    def outgrown(self, limit: int) -> bool:
        """The string store has grown by more than `limit` strings since it was built."""
        return len(self.nlp.vocab.strings) - self.strings_at_start > limit


def _rule(rule: dict[str, Any], config: dict[str, Any], rule_type: Any, causes: set[tuple[str, ...]]) -> Any:
    """One rule of the rules file as medspaCy's ConTextRule, with how far it reaches (context_reach.py): a rule
    that reaches back over lists (`metadata.listReach`) has that scope, its own `max_scope` kept for the rest.
    `metadata.notObjects` may be another rule's literal, whose list it shares; `causes` are the rules file's
    `causeWords`, as the tokenizer splits them ('d/t': d, /, t)."""
    metadata = dict(rule.get("metadata", {}))
    if isinstance(metadata.get("notObjects"), str):
        metadata["notObjects"] = next(r["metadata"]["notObjects"] for r in config["context_rules"]
                                      if r["literal"] == metadata["notObjects"])
    shared = [rule["pattern"] for rule in config["context_rules"]
              if rule["category"] == metadata.get("sharedWith") and isinstance(rule.get("pattern"), list)]
    phrases = {tuple(w for w in choice if w) for pattern in shared
               for choice in itertools.product(*(_words(token) or [] for token in pattern))}
    settings = {k: v for k, v in rule.items() if k in _RULE_KEYS}
    settings["max_scope"] = metadata.get("listReach", rule.get("max_scope"))
    return rule_type(**settings, on_modifies=reaches(metadata, config["listWords"], config["clausePredicates"]["words"],
                                                     rule.get("max_scope"), {p for p in phrases if p}, causes,
                                                     config.get("stopDurations")))


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
