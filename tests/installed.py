"""The artifact users run: the wheel, built from the project's files, installed off the source tree.

`CDS_INSTALLED_PYTHON` (set by `.ci/run`) names the interpreter of a fresh virtual environment where the
wheel was installed with pip, non-editable, with its dependencies. Without it (a developer's checkout) the
tests build the wheel and install it with `pip --target` into a folder of their own, which this
interpreter reads first on its path, ahead of the editable install; either way the source tree is not
importable (the commands run from another folder), and the tests check that.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def project_files() -> list[str]:
    """The files a clean clone has (tracked), plus new ones not ignored: what a commit would ship."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout.split()
    return [f for f in listed if (ROOT / f).is_file()]


def build_wheel(workdir: Path) -> Path:
    source, out = workdir / "source", workdir / "wheel"
    for name in project_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    "--disable-pip-version-check", "-w", str(out), str(source)], check=True)
    return next(out.glob("*.whl"))


@dataclass
class Installed:
    python: str
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)

    def cli(self, *args: str) -> list[str]:
        script = Path(self.python).with_name("hamstring-cds")
        if "PYTHONPATH" not in self.env and script.exists():
            return [str(script), *args]  # the console script pip made in the fresh environment
        return [self.python, "-c", "import sys; from cds_service.cli import main; sys.exit(main())", *args]

    def run(self, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.cli(*args), cwd=self.cwd, env=self.environ(**env), capture_output=True,
                              text=True, timeout=timeout)

    def environ(self, **extra: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("CDS_") and k != "PYTHONPATH"}
        return {**base, **self.env, **extra}


def installed(workdir: Path) -> Installed:
    cwd = workdir / "run"
    cwd.mkdir(parents=True, exist_ok=True)
    python = os.environ.get("CDS_INSTALLED_PYTHON")
    if python:
        return Installed(python=python, cwd=cwd)
    site = workdir / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--disable-pip-version-check",
                    "--target", str(site), str(build_wheel(workdir))], check=True)
    return Installed(python=sys.executable, cwd=cwd, env={"PYTHONPATH": str(site)})
