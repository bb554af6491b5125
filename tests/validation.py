"""Shared assertions: suggested FHIR resources are valid R4 (fhir.resources.R4B)."""

from __future__ import annotations

import importlib
from typing import Any


def r4_model(resource_type: str) -> Any:
    module = importlib.import_module(f"fhir.resources.R4B.{resource_type.lower()}")
    return getattr(module, resource_type)


def assert_valid_r4_actions(card: dict[str, Any]) -> None:
    for suggestion in card.get("suggestions", []):
        for action in suggestion["actions"]:
            if action["type"] in ("create", "update"):
                resource = action["resource"]
                r4_model(resource["resourceType"]).model_validate(resource)
            else:
                assert "/" in action["resourceId"]
