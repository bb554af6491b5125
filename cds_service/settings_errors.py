"""Why the settings could not be read, on one line, in the words they are set with: the `CDS_` variable
(or the key of the file named by `CDS_CONFIG`) and what it takes. Never the value: a password pasted where
its hash belongs, or a database URL with its password, must not reach a terminal or a log (Settings hides
inputs in its validation errors for the same reason)."""

from __future__ import annotations

import os
import re
import tomllib
from typing import Any

from pydantic import ValidationError
from pydantic_settings import SettingsError

JSON_EXAMPLES = {
    "review_users": '{"alice": "<the hash printed by hamstring-cds review-password>"}',
    "auth": '{"issuers": [{"iss": "https://ehr.example.org", "jwks_url": "https://ehr.example.org/jwks.json"}]}',
}


def settings_problem(exc: Exception) -> str | None:
    """One line naming the setting at fault and what to give; None when `exc` is not about the settings."""
    config = os.environ.get("CDS_CONFIG")
    if isinstance(exc, SettingsError):
        found = re.search(r'field "(\w+)" from source "Env', str(exc))
        if found is None:
            return None
        name = f"CDS_{found[1].upper()}"
        example = JSON_EXAMPLES.get(found[1])
        hint = f", e.g. {name}='{example}'" if example else ""
        return f"{name} is not valid JSON ({exc.__cause__}): give a JSON object{hint}"
    if isinstance(exc, tomllib.TOMLDecodeError):
        return f"{config} (named by CDS_CONFIG) is not valid TOML: {exc}"
    if isinstance(exc, ValidationError) and exc.title == "Settings":
        return "; ".join(_one(error, config) for error in exc.errors())
    return None


def _one(error: Any, config: str | None) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"]:
        return message
    name, *inner = (str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"{name} in {config or 'the settings'} is not a setting (the README's CDS_* settings, in lower case)"
    where = f"CDS_{name.upper()}" + (f" ({'.'.join(inner)})" if inner else "")
    if config:
        where += f" (or {name} in {config})"
    return f"{where}: {message}"
