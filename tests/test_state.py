"""The service state's parts made on first use (audit trail, pseudonymizer) are made once per process,
however many request threads ask for them at the same moment."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from cds_service import state as state_module
from cds_service.settings import Settings
from cds_service.state import build_state


def slowly(make: Any, calls: list[int]) -> Any:
    """`make`, counted and slowed, so that threads arriving together would all start making one."""
    def made(*args: Any) -> Any:
        calls.append(1)
        time.sleep(0.05)
        return make(*args)
    return made


@pytest.mark.parametrize("part", ["store", "pseudonymize"])
def test_threads_answering_their_first_calls_together_share_one(part: str, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    maker = "open_store" if part == "store" else "pseudonymizer"
    monkeypatch.setattr(state_module, maker, slowly(getattr(state_module, maker), calls))
    service = build_state(Settings(instance_path=tmp_path, auth_required=False))
    barrier, got = threading.Barrier(8), []

    def first_call() -> None:
        barrier.wait(timeout=10)
        got.append(getattr(service, part))

    threads = [threading.Thread(target=first_call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    try:
        assert len(calls) == 1 and len(got) == 8 and all(made is got[0] for made in got)
    finally:
        if part == "store":
            service.store.close()
