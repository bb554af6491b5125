"""The README documents every setting, and the commands it gives exist."""

from __future__ import annotations

import re
from pathlib import Path

from cds_service.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_every_setting_is_in_the_readme_table() -> None:
    documented = set(re.findall(r"^\| `(CDS_[A-Z_]+)` \|", README, re.M))
    expected = {f"CDS_{name.upper()}" for name in Settings.model_fields}
    assert documented == expected


def test_quickstart_commands_exist_and_ci_runs_the_test_command() -> None:
    assert "./scripts/serve" in README and "./scripts/test" in README
    assert (ROOT / "scripts" / "serve").stat().st_mode & 0o111
    assert "./scripts/test" in (ROOT / ".ci" / "run").read_text()
