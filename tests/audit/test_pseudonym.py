"""The instance folder's pseudonym key: made once, whoever asks first, and never read half-written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cds_service.audit.pseudonym import KEY_FILE, Pseudonymizer, pseudonymizer
from cds_service.settings import Settings
from tests.audit.support import all_at_once


def _pseudonym_after(folder: str, barrier: Any, results: Any) -> None:
    """In a worker process: wait for the others, then pseudonymize as a first audit record does."""
    try:
        barrier.wait(timeout=30)
        results.put(("ok", pseudonymizer(Settings(instance_path=Path(folder)))("pat-1")))
    except Exception as exc:  # noqa: BLE001 - reported to the test
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def test_workers_starting_together_share_one_key(tmp_path: Path) -> None:
    """gunicorn workers answering their first calls at once on a new instance folder: before, a worker
    could read the key file between its creation and its content, and the call failed (HTTP 500)."""
    for round_ in range(4):
        folder = tmp_path / f"instance-{round_}"
        outcomes = all_at_once(_pseudonym_after, 6, str(folder))
        assert {status for status, _ in outcomes} == {"ok"}, outcomes
        assert len({pseudonym for _, pseudonym in outcomes}) == 1
        key = (folder / KEY_FILE).read_text().strip()
        assert len(key) == 64 and (folder / KEY_FILE).stat().st_mode & 0o777 == 0o600
        assert sorted(p.name for p in folder.iterdir()) == [KEY_FILE]  # no temporary file left behind


def test_the_key_is_kept_across_restarts(tmp_path: Path) -> None:
    settings = Settings(instance_path=tmp_path)
    first = pseudonymizer(settings)("pat-1")
    assert pseudonymizer(settings)("pat-1") == first
    assert Pseudonymizer((tmp_path / KEY_FILE).read_bytes().strip())("Patient/pat-1") == first


def test_without_hard_links_the_key_is_written_in_place(tmp_path: Path, monkeypatch: Any) -> None:
    """Some file systems (a few network and container volumes) refuse hard links."""
    import os

    def no_links(*_: Any) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    settings = Settings(instance_path=tmp_path)
    first = pseudonymizer(settings)("pat-1")
    assert first and pseudonymizer(settings)("pat-1") == first
    assert sorted(p.name for p in tmp_path.iterdir()) == [KEY_FILE]
