"""A regex body for a list of literal phrases, as a prefix tree.

Python's `re` tries the branches of an alternation one after another at every position of the text, so a
plain `a|b|c...` of the 4,057 phrases of a concept set cost about 1 ms per 150 characters read. Written as
a prefix tree (`nordic (?:curls?|hamstring)` ...), only the branch that begins with the text's next
character is followed: the same matches at a few microseconds (docs/benchmarks.md, issue 17 §4).

It matches what the plain alternation of the phrases, longest first, matches: at a given start the text
spells one path through the tree, every phrase matching there lies on that path, and the greedy optional
groups take the deepest one, the longest phrase (tests/test_phrase_regex.py compares the two).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_END = ""  # marks a node where a phrase ends (no phrase character is the empty string)


def phrase_tree_pattern(phrases: Iterable[str]) -> str:
    """The regex (no groups that capture) matching any of `phrases` literally; '' for none."""
    root: dict[str, Any] = {}
    for phrase in phrases:
        node = root
        for character in phrase:
            node = node.setdefault(character, {})
        node[_END] = {}
    return _branch(root)


def _branch(node: dict[str, Any]) -> str:
    branches = [re.escape(character) + _branch(child) for character, child in sorted(node.items()) if character]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if _END in node:  # a phrase may end here: try the longer ones first (greedy), then end
        return f"(?:{body})?"
    return body
