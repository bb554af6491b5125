"""The real service with parts of each hook call taken away, served exactly like `serve`.

For bench/bench_ceiling.py: how fast could the service answer if a part of its work cost nothing?
Each variant removes one more part; every variant keeps Flask, gunicorn, the request hooks (request
id, CORS, security headers), JSON parsing of the body and the serialized answer.

- `service`:   unchanged (what `hamstring-cds serve` runs).
- `no-cds`:    the CDS pipeline (request validation, prefetch, FHIR models, facts, 13 criteria, cards)
               replaced by the answer it gives for the benchmark body, with fresh card and suggestion
               uuids per call; the audit record of every call is still written.
- `no-audit`:  as `no-cds`, and no audit record (no journal line, no database write).
- `no-log`:    as `no-audit`, and no request log line.

Run: python bench/ablation_app.py VARIANT PORT WORKERS THREADS (environment as for `serve`).
Never deployed: this module exists to measure, and it is not importable from the service.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.workloads import TYPICAL  # noqa: E402
from cards.ids import new_uuid  # noqa: E402
from cds_service import create_app  # noqa: E402
from cds_service.pipeline import HookOutcome  # noqa: E402
from cds_service.server import serve  # noqa: E402

VARIANTS = ("service", "no-cds", "no-audit", "no-log")


def _fresh_ids(rendered: list[tuple[Any, dict[str, Any]]]) -> list[tuple[Any, dict[str, Any]]]:
    out = []
    for finding, card in rendered:
        card = {**card, "uuid": new_uuid()}
        if "suggestions" in card:
            card["suggestions"] = [{**s, "uuid": new_uuid()} for s in card["suggestions"]]
        out.append((finding, card))
    return out


def create(variant: str, overrides: dict[str, Any] | None = None) -> Any:
    """The app of `variant`; parts are replaced on this app's own objects (its pipeline and audit
    trail), except the request log, whose logger is process-wide."""
    if variant not in VARIANTS:
        raise SystemExit(f"variant must be one of {', '.join(VARIANTS)}")
    app = create_app(overrides)
    if variant == "service":
        return app
    state = app.extensions["cds"]
    canned = state.pipeline.run("hamstring-rehab-order-sign", TYPICAL, state.today(), "http://127.0.0.1/criteria")
    assert canned.status == 200 and canned.body["cards"], "the benchmark body should produce cards"

    def answer(service_id: str, payload: Any, as_of: Any, source_url: str | None = None, **_: Any) -> HookOutcome:
        rendered = _fresh_ids(canned.rendered)
        return replace(canned, rendered=rendered, silent_rendered=_fresh_ids(canned.silent_rendered),
                       body={"cards": [card for _, card in rendered]})

    state.pipeline.run = answer
    if variant in ("no-audit", "no-log"):
        state.store.record_call = lambda record: "journaled"
    if variant == "no-log":
        logging.getLogger("cds_service.request").disabled = True
    return app


if __name__ == "__main__":
    chosen, port, workers, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    serve("127.0.0.1", port, workers, threads, app_factory=lambda: create(chosen))
