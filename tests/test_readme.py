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


def test_the_readme_says_which_tests_skip_why_and_how_to_run_them() -> None:
    """Every skip condition of the suite, and how to lift it."""
    development = README.split("## Development", 1)[1]
    assert "CDS_TEST_POSTGRES_URL is not set" in (ROOT / "tests" / "audit" / "support.py").read_text()
    assert "chromium is not installed" in (ROOT / "tests" / "audit" / "test_review_browser.py").read_text()
    assert "CDS_TEST_POSTGRES_URL=postgresql://" in development and "./scripts/test -rs" in development
    assert "chromium" in development and "apt-get install chromium" in development


def test_the_sandbox_without_docker_uses_its_own_fhir_server_and_port() -> None:
    """It stops the Quickstart's service before starting one on the same port, and every command of the
    section talks to the FHIR server the section starts (not Docker's HAPI on :8090)."""
    integration = (ROOT / "docs" / "integration.md").read_text()
    section = integration.split("### Without Docker", 1)[1].split("\n## ", 1)[0]
    port = re.search(r"^port: (\d+)$", section, re.M)
    assert port is not None
    servers = re.findall(r"--fhir-server (\S+)", section)
    assert "sandbox load" in section and "sandbox call" in section
    assert servers and all(s == f"http://127.0.0.1:{port[1]}/fhir" for s in servers)
    assert section.index("stop it first") < section.index("./scripts/serve &")
