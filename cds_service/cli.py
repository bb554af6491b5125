"""The `hamstring-cds` command: serve, evaluate, services."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from cds_service.settings import Settings

HOOK_SERVICES = {"order-sign": "hamstring-rehab-order-sign", "order-select": "hamstring-rehab-order-select",
                 "patient-view": "hamstring-rehab-patient-view"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hamstring-cds", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the service (gunicorn) on its embedded defaults")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument("--threads", type=int, default=4, help="threads per worker")

    evaluate = commands.add_parser("evaluate", help="run one hook request file without a server")
    evaluate.add_argument("request", type=Path, help="a CDS Hooks request body (JSON)")
    evaluate.add_argument("--service", help="service id (default: the service for the request's hook)")
    evaluate.add_argument("--as-of", type=date.fromisoformat, help="evaluation date YYYY-MM-DD (default: today)")
    evaluate.add_argument("--pretty", action="store_true", help="indent the JSON output")

    commands.add_parser("services", help="print the discovery document")
    args = parser.parse_args(argv)
    try:
        return {"serve": run_serve, "evaluate": run_evaluate, "services": run_services}[args.command](args)
    except Exception as exc:  # start-up errors (bad settings or guideline config) read as one line
        print(f"hamstring-cds: {exc}", file=sys.stderr)
        return 2


def run_serve(args: argparse.Namespace) -> int:
    from cds_service.server import serve

    serve(args.host, args.port, args.workers, args.threads)
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from cds_service.state import build_state, today_utc

    state = build_state(Settings())
    try:
        payload: Any = orjson.loads(args.request.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        print(f"hamstring-cds: cannot read {args.request}: {exc}", file=sys.stderr)
        return 2
    service_id = args.service or HOOK_SERVICES.get(payload.get("hook") if isinstance(payload, dict) else None,
                                                   "unknown")
    outcome = state.pipeline.run(service_id, payload, as_of=args.as_of or today_utc(),
                                 source_url=_criteria_url(state.settings))
    _print(outcome.body, args.pretty)
    return 0 if outcome.status == 200 else 1


def run_services(args: argparse.Namespace) -> int:
    from cds_service.state import build_state

    _print(build_state(Settings()).discovery, pretty=True)
    return 0


def _criteria_url(settings: Settings) -> str | None:
    return f"{settings.public_base_url}/criteria" if settings.public_base_url else None


def _print(body: Any, pretty: bool) -> None:
    option = orjson.OPT_INDENT_2 if pretty else 0
    sys.stdout.write(orjson.dumps(body, option=option).decode() + "\n")


if __name__ == "__main__":
    sys.exit(main())
