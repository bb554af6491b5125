"""How far a ConText modifier reaches (its rule's `on_modifies`), from the rule's metadata in the rules file
(`assertion/context-rules.json`): clause marks, lists, adjacency. fhir_mappings/context_pipeline.py gives each
rule its callback; medspaCy asks it for each mention within the rule's scope.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any

BREAKS = frozenset({",", ":", ";", "–", "—", "("})  # after a stop's cause, these open what it stops ('2/2 pain: RDLs')
HEADS = frozenset({":", "–", "—"})  # what a stop stops may be listed after one ('Stopped due to pain: Nordics, RDLs')
ITEM_WORDS = 4  # at most this many words in one item of a list a stop reaches back over ('single-leg glute bridges')


def reaches(metadata: dict[str, Any], list_words: Iterable[str], predicates: Iterable[str] = (),
            plain_scope: int | None = None, shared: Collection[tuple[str, ...]] = (),
            causes: Collection[tuple[str, ...]] = (),
            durations: dict[str, Any] | None = None) -> Callable[[Any, Any, Any], bool] | None:
    """`metadata.before`: a BIDIRECTIONAL modifier reaches this many tokens back (and to the sentence end).
    `metadata.clauseMarks`: a modifier does not reach over a mark that ends a clause of its own and opens
    another: written after its concept, when words stand between the mark and the modifier ('Nordic curls
    continued, stretching stopped'); written before it, when the modifier has its object before the mark ('No
    sprinting, Nordics continue'). A list word after the mark joins the two ('Nordics, RDLs and sprinting
    stopped', 'avoid sprinting, jumping and Nordics'). `metadata.notObjects`: a modifier followed by a word
    not in this list has an object of its own and reaches nothing before it ('stopped static stretching').
    Words before the mark with no predicate of their own (`clausePredicates`) are a list's first items, so the
    stop after its last reaches them ('Nordic curls, RDLs stopped'). `metadata.listReach`: the rule's
    `max_scope` (`plain_scope`) bounds its reach, except back over a list of short items with no predicate of
    their own, which it reaches to its first item however many there are ('Nordic curls, bridges, RDLs
    stopped'). `metadata.adjacentFor`: of a concept set listed, the modifier reaches only a mention at most that
    many words away, no comma or list word between ('eccentric calf raises', not 'Nordics, calf raises'), and
    not one whose exercise it shares with a muscle it is listed with (`metadata.sharedWith`, a category whose
    rules' words name that muscle: 'eccentric calf and hamstring raises', 'hamstring and calf eccentrics').
    `metadata.listAhead`: a stop written before a list reaches every short item of it, none with a predicate,
    dose or '-ed' word of its own ('Stopped Nordics, bridges, RDLs'; not 'Stop sprinting, Nordics ok'): an
    '-ed' word before the word it qualifies is no status ('Stopped weighted Nordics, bridges'), and a duration
    (`durations`: units of a day or longer) closing the last item is the stop's ('Hold Nordics, bridges x1 wk').
    `metadata.objectNext`: it reaches forward only when its object follows at once or after a colon ('Held
    Nordics, bridges'; not 'Nordics held for 2 weeks then bridges').
    `metadata.notItsCause`: a stop does not reach a mention after one of `causes` ('due to', '2/2': 'Nordics
    stopped due to pain' affirms the pain), unless a mark stands between ('D/C'd 2/2 pain: Nordics, RDLs')."""
    tokens, marks, joins = metadata.get("before"), frozenset(metadata.get("clauseMarks", ())), frozenset(list_words)
    not_objects, adjacent_for = frozenset(metadata.get("notObjects", ())), metadata.get("adjacentFor", {})
    own, plain = frozenset(predicates), plain_scope if metadata.get("listReach") is not None else None
    ahead, causes = bool(metadata.get("listAhead")), causes if metadata.get("notItsCause") else ()
    object_next, not_nouns = bool(metadata.get("objectNext")), own | joins | not_objects
    units, leads = (frozenset((durations or {}).get(k, ())) for k in ("units", "leads"))
    if tokens is None and not marks and not adjacent_for:
        return None

    def is_clause(words: Any, modifier: Any) -> bool:  # a status, a dose or a past participle: 'continued', '3x5'
        return any(t.lower_ in own or t.like_num or any(c.isdigit() for c in t.text)
                   or is_participle(t) and not qualifies(t, modifier) for t in words)

    def is_participle(token: Any) -> bool:
        return len(token) > 4 and token.lower_.endswith("ed")

    def qualifies(token: Any, modifier: Any) -> bool:
        """An adjective opening its item, before the word it qualifies: 'weighted Nordics', 'Stopped banded
        bridges', 'weighted banded bridges'; not a status after its item ('Nordics progressed today')."""
        doc, at = token.doc, token.i - 1
        if token.i + 1 >= len(doc) or not doc[token.i + 1].is_alpha or doc[token.i + 1].lower_ in not_nouns:
            return False
        return at < 0 or modifier.start <= at < modifier.end or not doc[at].is_alpha or is_join(doc[at]) \
            or is_participle(doc[at]) and qualifies(doc[at], modifier)

    def is_duration(words: Any) -> bool:  # how long, a day or longer: 'x1 wk', 'for 2 weeks', 'x 2/52'
        kinds = [t.lower_ if t.lower_ in leads else t.lower_.lstrip("x~").lstrip("0123456789.-") for t in words]
        return any(k in units for k in kinds) and all(k in units or k in leads or not k for k in kinds)

    def is_join(token: Any) -> bool:
        return token.lower_ in joins or token.text in {",", "/"}

    def is_list(words: Any, modifier: Any) -> bool:  # short items, each ended by a mark or a list word, none a clause
        size, separators = 0, 0
        for token in words:
            separators, size = (separators + 1, 0) if token.text in marks or is_join(token) else (separators, size + 1)
            if size > ITEM_WORDS:
                return False
        return separators > 0 and not is_clause(words, modifier)

    def is_mark(token: Any, kinds: frozenset[str]) -> bool:  # a hyphen only when spaced: not 'hamstring-related'
        return token.text in kinds or token.text == "-" and bool(token.nbor(-1).whitespace_)

    def cause_at(doc: Any, at: int) -> bool:  # one of `causes` at token `at`
        return any(tuple(t.lower_ for t in doc[at:at + len(phrase)]) == phrase for phrase in causes)

    def after_cause(words: Any) -> bool:  # a cause, no mark after it: 'stopped due to (increased) pain'
        at = next((t.i for t in words if cause_at(t.doc, t.i)), None)
        return at is not None and not any(is_mark(t, BREAKS) for t in words if t.i > at)

    def item_rest(target: Any) -> Any:  # the words after a mention up to the next mark, cause or sentence end
        doc = target.doc
        end = next((t.i for t in doc[target.end:target.sent.end] if t.text in marks or cause_at(doc, t.i)),
                   target.sent.end)
        return doc[target.end:end]

    def names_shared(doc: Any, at: int, step: int) -> bool:  # one of `shared`'s phrases at token `at`
        for phrase in shared:
            start = at if step > 0 else at - len(phrase) + 1
            if start >= 0 and tuple(t.lower_ for t in doc[start:start + len(phrase)]) == phrase:
                return True
        return False

    def listed_with(doc: Any, at: int, step: int) -> bool:
        """From token `at` on (step +1 or -1): a list word, then one of `shared`'s phrases, or another single
        word and again ('calf, quad and hamstring raises')."""
        while 0 <= at < len(doc) and is_join(doc[at]):
            if names_shared(doc, at + step, step):
                return True
            at += 2 * step
        return False

    def within(target: Any, modifier: Any, _between: Any) -> bool:
        doc = target.doc
        adjacent = adjacent_for.get(target.label_)
        if adjacent is not None:
            after = target.start >= modifier.end
            gap = doc[modifier.end:target.start] if after else doc[target.end:modifier.start]
            if len(gap) > adjacent or any(is_join(t) or t.text == ";" for t in gap):
                return False
            return not listed_with(doc, modifier.start - 1, -1) if after else not listed_with(doc, modifier.end, 1)
        if target.start >= modifier.end:  # the concept after the modifier
            between = doc[modifier.end:target.start]
            if causes and after_cause(between):
                return False  # the stop's cause, not its object
            if object_next and not any(is_mark(t, HEADS) for t in between) and not (
                    doc[modifier.end].is_alpha and doc[modifier.end].lower_ not in not_objects):
                return False  # a word of its own after it that is no object: 'Nordics held for 2 weeks then ..'
            listed = doc[max((t.i + 1 for t in between if is_mark(t, HEADS)), default=modifier.end):target.start]
            if ahead and any(t.text in marks for t in listed) and is_list(listed, modifier):
                rest = item_rest(target)  # its own words; a duration closing the list is the stop's
                if rest.end == target.sent.end or doc[rest.end].text not in marks:
                    rest = rest[:next((k for k in range(len(rest)) if is_duration(rest[k:])), len(rest))]
                return not is_clause(rest, modifier)  # 'Hold Nordics, bridges x1 wk'
            if plain is not None and target.start - modifier.end >= plain:
                return False
            last = max((t.i for t in between if t.text in marks), default=None)
            return last is None or any(t.lower_ in joins for t in doc[last:target.start]) \
                and not (ahead and is_clause(doc[last:target.start], modifier))  # 'Stopped Nordics, continue RDLs'
        if tokens is not None and modifier.start - target.end > tokens:
            return False
        if plain is not None and modifier.start - target.end >= plain \
                and not is_list(doc[target.end:modifier.start], modifier):
            return False
        if not_objects and modifier.end < len(doc) and doc[modifier.end].is_alpha \
                and doc[modifier.end].lower_ not in not_objects:
            return False  # the modifier has an object of its own: 'stopped static stretching'
        last = max((t.i for t in doc[target.end:modifier.start] if t.text in marks), default=modifier.start - 1)
        return last == modifier.start - 1 or any(t.lower_ in joins for t in doc[last:modifier.start]) \
            or not is_clause(doc[target.end:last], modifier)

    return within
