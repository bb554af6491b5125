"""scripts/test installs the project only when it has to: on first use, when pyproject.toml changed, or
when the project is gone from .venv. Run in a copy with a stand-in .venv whose python and pip only log."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAKE_PYTHON = """#!/usr/bin/env bash
here="$(dirname "$0")"
if [ "$1" = "-I" ]; then [ -f "$here/installed" ]; exit; fi
echo "python $*" >> "$here/log"
"""
FAKE_PIP = """#!/usr/bin/env bash
here="$(dirname "$0")"
echo "pip $*" >> "$here/log"
touch "$here/installed"
"""


def test_scripts_test_installs_only_when_something_changed(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "test", tmp_path / "scripts" / "test")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, text in (("python", FAKE_PYTHON), ("pip", FAKE_PIP)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    log = bin_dir / "log"

    def run() -> list[str]:
        log.write_text("")
        subprocess.run([str(tmp_path / "scripts" / "test"), "-p", "no:cacheprovider"], check=True, timeout=30)
        return [line.split()[0] for line in log.read_text().splitlines()]

    assert run() == ["pip", "python"]  # first use: no stamp yet
    assert run() == ["python"]  # nothing changed: straight to pytest
    assert log.read_text() == "python -m pytest -p no:cacheprovider\n"  # .ci/run's arguments reach pytest
    stamp = tmp_path / ".venv" / ".hamstring-test-install"
    earlier = (tmp_path / "pyproject.toml").stat().st_mtime - 10
    os.utime(stamp, (earlier, earlier))  # as if pyproject.toml was edited after the last install
    assert run() == ["pip", "python"]  # pyproject.toml changed
    assert run() == ["python"]
    (bin_dir / "installed").unlink()  # the project was uninstalled from .venv
    assert run() == ["pip", "python"]
