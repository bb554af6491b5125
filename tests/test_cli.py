"""The `hamstring-cds` command line: evaluate, services (serve is exercised by bench/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cds_service.cli import main
from tests.builders import hook_request, pt_order, weekly

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*-violating.json")))
def test_violating_examples_produce_cards(capsys: pytest.CaptureFixture[str], name: str) -> None:
    code, body = run(capsys, "evaluate", str(EXAMPLES / name), "--as-of", "2026-11-23")
    assert code == 0
    assert body["cards"], name


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*-compliant.json")))
def test_compliant_examples_produce_no_cards(capsys: pytest.CaptureFixture[str], name: str) -> None:
    assert run(capsys, "evaluate", str(EXAMPLES / name), "--as-of", "2026-11-23") == (0, {"cards": []})


def test_as_of_changes_the_evaluation_date(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The example patient was born in 1991: in 2060 she is outside the 18-65 population."""
    code, body = run(capsys, "evaluate", str(EXAMPLES / "order-sign-violating.json"), "--as-of", "2060-01-01")
    assert (code, body) == (0, {"cards": []})


def test_error_response_is_printed_and_exit_code_is_non_zero(capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
    body = hook_request("order-sign", [pt_order("pt-1", **weekly(4, 2))])
    del body["prefetch"]["conditions"]
    request = tmp_path / "req.json"
    request.write_text(json.dumps(body))
    code, printed = run(capsys, "evaluate", str(request), "--as-of", "2026-11-23")
    assert code == 1
    assert printed["resourceType"] == "OperationOutcome" and printed["issue"][0]["expression"] == ["conditions"]


def test_service_option_overrides_the_hook_mapping(capsys: pytest.CaptureFixture[str]) -> None:
    code, printed = run(capsys, "evaluate", str(EXAMPLES / "order-sign-violating.json"),
                        "--service", "hamstring-rehab-patient-view")
    assert code == 1 and "answers hook 'patient-view'" in printed["issue"][0]["diagnostics"]


def test_unreadable_request_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    assert main(["evaluate", str(missing)]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_services_prints_discovery(capsys: pytest.CaptureFixture[str]) -> None:
    code, body = run(capsys, "services")
    assert code == 0 and len(body["services"]) == 3


def test_invalid_settings_exit_2_with_one_line(capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDS_FHIR_MAX_PAGES", "zero")
    assert main(["services"]) == 2
    assert "fhir_max_pages" in capsys.readouterr().err
