"""Misspellings a concept set tolerates in free text (`textTypos` in its JSON file): 'Eccentirc', 'eccentic'.

Order entry has no spell checker, and a missed word turns into a false card ('names no eccentric
strengthening' for 'Eccentirc hamstring strengthening'). A set lists the words it tolerates typos of;
each is expanded once, when the set is read, into its one-edit forms: two neighbouring letters swapped
(words of TRANSPOSED_FROM letters or more), one letter left out or doubled (words of DROPPED_FROM letters or
more, where no clinical word lies one such edit away). The forms join the set's text patterns, so a
request pays nothing more than the one regex it already runs, and a misspelt mention is judged like any
other (negated, conditional, another site). Substitutions are not generated: 'excentric' is a spelling of
its own and listed as such, and one changed letter reaches real words too easily.
"""

from __future__ import annotations

from collections.abc import Iterable

TRANSPOSED_FROM = 6
DROPPED_FROM = 8


def one_edit_forms(words: Iterable[str]) -> set[str]:
    """The misspelt forms of `words` (lower case) tolerated in text, without the words themselves."""
    forms: set[str] = set()
    for word in (w.lower() for w in words):
        if len(word) >= TRANSPOSED_FROM:
            forms.update(word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1))
        if len(word) >= DROPPED_FROM:
            forms.update(word[:i] + word[i + 1 :] for i in range(len(word)))
            forms.update(word[:i] + word[i] + word[i:] for i in range(len(word)))
        forms.discard(word)
    return forms
