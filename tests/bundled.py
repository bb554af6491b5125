"""Every bundled hook request: the examples (evaluated at EXAMPLES_AS_OF) and the scenario fixtures (at their
own `asOf`, with their `expected` outcome). Shared by the tests that run all of them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cds_service.cli import HOOK_SERVICES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "hooks").glob("*.json"))
EXAMPLES_AS_OF = "2026-11-23"


@dataclass(frozen=True)
class Bundled:
    name: str
    as_of: str
    service: str
    body: dict[str, Any]
    expected: dict[str, Any] | None = None  # a fixture's expected outcome; None for an example

    @property
    def answers_with_cards(self) -> bool:
        """An example, or a fixture expected to answer 200 with at least one card."""
        if self.expected is None:
            return True
        return self.expected.get("status", 200) == 200 and bool(self.expected.get("criteria"))


def every_request() -> list[Bundled]:
    out = []
    for path in EXAMPLES:
        body = json.loads(path.read_text())
        out.append(Bundled(f"examples/{path.stem}", EXAMPLES_AS_OF, HOOK_SERVICES[body["hook"]], body))
    for path in FIXTURES:
        scenario = json.loads(path.read_text())
        out.append(Bundled(f"fixtures/{path.stem}", scenario["asOf"], scenario["service"], scenario["request"],
                           scenario["expected"]))
    return out
