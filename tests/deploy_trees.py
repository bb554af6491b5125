"""The kustomize trees under deploy/kubernetes, rendered, and what the manifest tests read from them."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import pytest

from cds_service import cli
from tests.kustomize import find

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy" / "kubernetes"
BASE = DEPLOY / "base"
OVERLAYS = sorted(p for p in (DEPLOY / "overlays").iterdir() if (p / "kustomization.yaml").exists())
TREES = [BASE, *OVERLAYS]


def tree_id(tree: Path) -> str:
    return str(tree.relative_to(DEPLOY))


def server(resources: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    deployment = find(resources, "Deployment", "hamstring-cds")
    assert deployment is not None
    return deployment, deployment["spec"]["template"]["spec"]["containers"][0]


def config_text(resources: list[dict[str, Any]]) -> str:
    config_map = find(resources, "ConfigMap", "hamstring-cds-config")
    assert config_map is not None
    return str(config_map["data"]["cds.toml"])


class _Parsed(BaseException):
    def __init__(self, namespace: argparse.Namespace):
        self.namespace = namespace


def parse(command: list[str]) -> argparse.Namespace:
    """The `hamstring-cds` parser's reading of a container command, without running the command."""
    assert command[0] == "hamstring-cds", command
    original = argparse.ArgumentParser.parse_args

    def capture(self: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> Any:
        raise _Parsed(original(self, *args, **kwargs))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(argparse.ArgumentParser, "parse_args", capture)
        try:
            cli.main(command[1:])
        except _Parsed as parsed:
            return parsed.namespace
        except SystemExit:
            pytest.fail(f"hamstring-cds does not accept {command[1:]}")
    raise AssertionError("the CLI returned without parsing")


def quantity(value: str | int) -> float:
    """Kubernetes quantities as used here: CPUs (`250m`, `2`) and bytes (`512Mi`, `1Gi`)."""
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    number, unit = re.fullmatch(r"([\d.]+)(m|Ki|Mi|Gi)?", str(value)).groups()  # type: ignore[union-attr]
    return float(number) * units.get(unit or "", 1)
