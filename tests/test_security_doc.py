"""docs/security.md: its TOML examples are valid settings, and it names every [auth] key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from cds_service.auth.config import AuthSettings, IssuerConfig
from cds_service.settings import Settings

DOC = (Path(__file__).resolve().parents[1] / "docs" / "security.md").read_text()
EXAMPLES = re.findall(r"```toml\n(.*?)```", DOC, re.S)


@pytest.mark.parametrize("example", EXAMPLES)
def test_toml_examples_are_valid_settings(example: str) -> None:
    assert Settings(**tomllib.loads(example)).auth.issuers


def test_every_auth_key_is_documented() -> None:
    for name in [*AuthSettings.model_fields, *IssuerConfig.model_fields]:
        assert re.search(rf"^{name} = |\[\[?auth\.{name}\]|`{name}`", DOC, re.M), name
