"""The `hamstring-cds` command line: evaluate, services, sandbox load (serve is exercised by bench/)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import responses

from cds_service import create_app
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
    # JSON log lines a background thread of an earlier test's app may write meanwhile are not the message
    lines = [line for line in capsys.readouterr().err.splitlines() if not line.startswith('{"ts"')]
    assert len(lines) == 1 and lines[0].startswith("hamstring-cds: CDS_FHIR_MAX_PAGES: Input should be a valid integer")


def test_settings_errors_say_what_to_give_and_never_repeat_the_value(capsys: pytest.CaptureFixture[str],
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    """A reviewer login not in JSON, a password where its hash belongs, a CDS_CONFIG file that is missing or
    not TOML: each is one line naming the setting and what it takes; a password is never echoed."""
    def refused(**env: str) -> str:
        with monkeypatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            assert main(["services"]) == 2
        # JSON log lines a background thread of an earlier test's app may write meanwhile are not the message
        lines = [line for line in capsys.readouterr().err.splitlines() if not line.startswith('{"ts"')]
        assert len(lines) == 1, lines
        return lines[0] + "\n"

    err = refused(CDS_REVIEW_USERS="alice:s3cret-passw0rd")
    assert "CDS_REVIEW_USERS is not valid JSON" in err and "CDS_REVIEW_USERS='{\"alice\": \"<the hash" in err
    assert "s3cret" not in err
    err = refused(CDS_REVIEW_USERS='{"alice": "s3cret-passw0rd"}')
    assert "CDS_REVIEW_USERS: review_users.alice: give a password hash" in err and "s3cret" not in err
    assert "CDS_AUTH is not valid JSON" in refused(CDS_AUTH="{issuers")
    missing = tmp_path / "cds.toml"
    assert f"CDS_CONFIG names {missing}, which is not a file" in refused(CDS_CONFIG=str(missing))
    missing.write_text("fhir_max_pages = \n")
    assert f"{missing} (named by CDS_CONFIG) is not valid TOML" in refused(CDS_CONFIG=str(missing))
    missing.write_text('fhir_max_pagez = 3\nfhir_max_pages = "x"\n')
    err = refused(CDS_CONFIG=str(missing))
    assert f"CDS_FHIR_MAX_PAGES (or fhir_max_pages in {missing}): Input should be" in err
    assert f"fhir_max_pagez in {missing} is not a setting" in err


def test_a_fixture_file_is_refused_saying_it_has_no_hook_and_what_evaluate_expects(
        capsys: pytest.CaptureFixture[str]) -> None:
    fixture = Path(__file__).parent / "fixtures" / "hooks" / "compliant-order-sign.json"
    assert "hook" not in json.loads(fixture.read_text()) and main(["evaluate", str(fixture)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Unknown CDS service" not in err
    assert f'{fixture} has no "hook"' in err and '"request" member has one' in err
    assert "hook (one of order-sign, order-select, patient-view), hookInstance, context and prefetch" in err


def test_an_unknown_hook_names_the_hooks_evaluate_knows(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    request = tmp_path / "req.json"
    request.write_text(json.dumps({"hook": "encounter-start", "hookInstance": "x", "context": {}}))
    assert main(["evaluate", str(request)]) == 2
    err = capsys.readouterr().err
    assert "no service answers hook 'encounter-start'" in err and "order-sign, order-select, patient-view" in err


def test_evaluate_does_not_warn_about_the_fhir_allow_list(capsys: pytest.CaptureFixture[str],
                                                           caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    """Only the service warns that an empty allow-list means no FHIR server: evaluate works offline."""
    code, _ = run(capsys, "evaluate", str(EXAMPLES / "order-sign-violating.json"), "--as-of", "2026-11-23")
    assert code == 0
    assert "ALLOWLIST" not in caplog.text + capsys.readouterr().err
    create_app({"instance_path": tmp_path, "auth_required": False})
    assert "CDS_FHIR_SERVER_ALLOWLIST is empty" in caplog.text


@pytest.mark.parametrize("folder", ["missing", "empty", "requests"])
def test_sandbox_load_without_sample_patients_fails_saying_so(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                              folder: str) -> None:
    """A wheel or image install has no examples/ folder; a wrong --dir must not print nothing and exit 0.
    It fails before waiting for the FHIR server (nothing listens on the URL given)."""
    target = {"missing": tmp_path / "nope", "empty": tmp_path, "requests": EXAMPLES}[folder]
    code = main(["sandbox", "load", "--fhir-server", "http://127.0.0.1:9/fhir", "--dir", str(target),
                 "--wait", "30"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert {"missing": f"no folder {target}", "empty": f"{target} has no transaction bundles",
            "requests": "is not a transaction Bundle"}[folder] in err


def test_sandbox_load_says_what_it_loaded(capsys: pytest.CaptureFixture[str]) -> None:
    fhir = "http://127.0.0.1:9/fhir"
    patients = EXAMPLES / "patients"
    with responses.RequestsMock() as rsps:
        rsps.get(f"{fhir}/metadata", json={"resourceType": "CapabilityStatement"})
        rsps.post(fhir, json={"resourceType": "Bundle", "type": "transaction-response", "entry": [{}, {}]})
        assert main(["sandbox", "load", "--fhir-server", fhir, "--dir", str(patients)]) == 0
        posted = sum(c.request.method == "POST" for c in rsps.calls)
    lines = capsys.readouterr().out.splitlines()
    assert posted == len(lines) - 1 >= 5
    assert lines[-1] == f"loaded {posted} bundles ({2 * posted} resources) from {patients} into {fhir}"


def test_sandbox_call_to_a_service_that_is_not_running_says_what_to_do(capsys: pytest.CaptureFixture[str],
                                                                      tmp_path: Path) -> None:
    with socket.socket() as listener:  # a loopback port nothing listens on once closed
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
    assert main(["sandbox", "call", "--fhir-server", "http://127.0.0.1:8095/fhir", "--patient", "p", "--hook",
                 "patient-view", "--service-url", f"http://127.0.0.1:{port}", "--issuer-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"nothing answers at http://127.0.0.1:{port}/cds-services: start it" in err and "Max retries" not in err
