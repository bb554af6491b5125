"""The installed wheel answers as the source tree does: `hamstring-cds serve` over HTTP for every example and
scenario fixture, and `hamstring-cds evaluate` on each of them at its own date.

A data file left out of the wheel made every call with a MedicationRequest answer 500 from the installed
package while the editable checkout passed; these tests run what users run (tests/installed.py).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from cds_service import create_app
from cds_service.cli import HOOK_SERVICES
from cds_service.state import today_utc
from tests.bundled import EXAMPLES, FIXTURES, every_request
from tests.fhir_server import free_port, running
from tests.installed import ROOT, Installed, installed

BASE_URL = "https://cds.example.org"  # cards link to {base}/criteria: the same base on both sides


def without_uuids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_uuids(v) for k, v in value.items() if k != "uuid"}
    if isinstance(value, list):
        return [without_uuids(v) for v in value]
    return value


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return installed(tmp_path_factory.mktemp("installed"))


def test_the_installed_package_is_not_the_source_tree(package: Installed) -> None:
    probe = subprocess.run([package.python, "-c", "import cds_service, fhir_mappings, cards; print("
                            "cds_service.__file__, fhir_mappings.__file__, cards.__file__)"],
                           cwd=package.cwd, env=package.environ(), capture_output=True, text=True, check=True)
    for location in probe.stdout.split():
        source = [ROOT / name for name in ("cds_service", "fhir_mappings", "cards")]
        assert not any(Path(location).is_relative_to(s) for s in source), f"imported from the source tree: {location}"


@pytest.fixture(scope="module")
def served(package: Installed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    env = package.environ(CDS_AUTH_REQUIRED="false", CDS_INSTANCE_PATH=str(log_path.parent / "instance"),
                          CDS_PUBLIC_BASE_URL=BASE_URL)
    command = package.cli("serve", "--port", str(port), "--workers", "1", "--threads", "2")
    with running(command, f"http://127.0.0.1:{port}/healthz", log_path, env, timeout=60, cwd=package.cwd):
        yield f"http://127.0.0.1:{port}"
    assert "Traceback" not in log_path.read_text(), log_path.read_text()[-3000:]


def test_the_installed_service_answers_every_example_and_fixture_as_the_source_tree(
        served: str, tmp_path: Path) -> None:
    source = create_app({"instance_path": tmp_path / "instance", "auth_required": False,
                         "public_base_url": BASE_URL}, today=today_utc).test_client()
    differences = []
    for bundled in every_request():
        name, service, body = bundled.name, bundled.service, bundled.body
        answer = requests.post(f"{served}/cds-services/{service}", json=body, timeout=30)
        expected = source.post(f"/cds-services/{service}", json=body)
        assert answer.status_code < 500, f"{name}: HTTP {answer.status_code} {answer.text[:300]}"
        if answer.status_code != expected.status_code or without_uuids(answer.json()) != without_uuids(
                expected.get_json()):
            differences.append(f"{name}: installed HTTP {answer.status_code}, source HTTP {expected.status_code}")
    assert not differences, differences


@pytest.mark.parametrize("path", FIXTURES[:: max(1, len(FIXTURES) // 8)] + EXAMPLES,
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_installed_evaluate_gives_the_expected_cards(package: Installed, path: Path, tmp_path: Path) -> None:
    data = json.loads(path.read_text())
    scenario = data if "request" in data else None
    request_file = path
    if scenario is not None:
        request_file = tmp_path / "request.json"
        request_file.write_text(json.dumps(scenario["request"]))
    as_of = scenario["asOf"] if scenario else "2026-11-23"
    result = package.run("evaluate", str(request_file), "--as-of", as_of, CDS_PUBLIC_BASE_URL=BASE_URL)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    source = create_app({"instance_path": tmp_path / "instance", "auth_required": False,
                         "public_base_url": BASE_URL}, today=lambda: date.fromisoformat(as_of)).test_client()
    service = scenario["service"] if scenario else HOOK_SERVICES[data["hook"]]
    expected = source.post(f"/cds-services/{service}", json=scenario["request"] if scenario else data)
    assert result.returncode == (0 if expected.status_code == 200 else 1), result.stderr[-2000:]
    assert without_uuids(json.loads(result.stdout)) == without_uuids(expected.get_json())
    if scenario and expected.status_code == 200:
        fired = [card["source"]["topic"]["code"] for card in json.loads(result.stdout)["cards"]]
        assert fired == scenario["expected"]["criteria"]
