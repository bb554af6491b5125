"""The `hamstring-cds` command: serve, evaluate, services, dev-keys, dev-token, db, audit, replay,
review-password, sandbox, guideline."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from cds_service.audit.commands import register
from cds_service.cli_types import day
from cds_service.guideline_commands import register as register_guideline
from cds_service.sandbox_commands import register as register_sandbox
from cds_service.settings import Settings
from cds_service.settings_errors import settings_problem

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
    serve.add_argument("--client-timeout", type=float, default=10.0,
                       help="seconds a client may stall mid-request before it is dropped")

    evaluate = commands.add_parser("evaluate", help="run one hook request file without a server")
    evaluate.add_argument("request", type=Path, help="a CDS Hooks request body (JSON)")
    evaluate.add_argument("--service", help="service id (default: the service for the request's hook)")
    evaluate.add_argument("--as-of", type=day, help="evaluation date YYYY-MM-DD (default: today)")
    evaluate.add_argument("--pretty", action="store_true", help="indent the JSON output")

    commands.add_parser("services", help="print the discovery document")
    audit_commands = register(commands)  # db, audit, replay, review-password
    sandbox_commands = register_sandbox(commands)  # sandbox load | call
    guideline_commands = register_guideline(commands)  # guideline export

    dev_keys = commands.add_parser("dev-keys", help="create a local development JWT issuer (key pair, JWKS, config)")
    dev_keys.add_argument("--dir", type=Path, default=Path("instance/dev-issuer"), help="where to write it")
    dev_keys.add_argument("--alg", choices=("ES384", "RS384"), default="ES384")
    dev_keys.add_argument("--force", action="store_true", help="replace an existing development issuer")

    dev_token = commands.add_parser("dev-token", help="print a JWT from the development issuer")
    dev_token.add_argument("--aud", required=True, help="the exact URL to be called, e.g. "
                                                        "http://127.0.0.1:8080/cds-services/hamstring-rehab-order-sign")
    dev_token.add_argument("--dir", type=Path, default=Path("instance/dev-issuer"))
    dev_token.add_argument("--lifetime", type=int, default=300, help="seconds until it expires")
    dev_token.add_argument("--tenant")
    args = parser.parse_args(argv)
    since, until = getattr(args, "since", None), getattr(args, "until", None)
    if since and until and until < since:
        parser.error(f"--until {until} is before --since {since}")
    if since and hasattr(args, "until") and until is None and since > datetime.now(UTC).date():
        parser.error(f"--since {since} is after today (UTC), where the range ends without --until")
    try:
        return {"serve": run_serve, "evaluate": run_evaluate, "services": run_services, "dev-keys": run_dev_keys,
                "dev-token": run_dev_token, **audit_commands, **sandbox_commands,
                **guideline_commands}[args.command](args)
    except Exception as exc:  # start-up errors (bad settings or guideline config) read as one line
        print(f"hamstring-cds: {settings_problem(exc) or exc}", file=sys.stderr)
        return 2


def run_serve(args: argparse.Namespace) -> int:
    from cds_service.audit.setup_commands import migrate_before_serving
    from cds_service.server import metrics_folder, serve

    settings = Settings()
    if settings.metrics_port == args.port:  # the listener would take the port and gunicorn fail after retrying
        raise ValueError(f"CDS_METRICS_PORT {args.port} is the service's port (--port): give the metrics one apart")
    check_start_up(settings)  # refuse to start, naming the file, before any worker boots
    migrate_before_serving()
    replay_left_records(settings)
    serve(args.host, args.port, args.workers, args.threads, client_timeout=args.client_timeout,
          metrics_folder=metrics_folder(settings), on_exit=lambda: replay_left_records(settings, "at shutdown"))
    return 0


def replay_left_records(settings: Settings, moment: str = "before serving") -> None:
    """What workers left uncommitted in this instance folder (journals of workers that were killed, the spool)
    is replayed into the database: before the workers start (an earlier run's, not at this run's first call),
    and again once they have all exited (a worker killed at the graceful timeout leaves its journal; in a pod
    the folder goes with it). An unreachable database does not stop the start: the records wait, and the
    workers retry."""
    import logging

    from cds_service.audit.recorder import AuditTrail

    log = logging.getLogger(__name__)
    trail = AuditTrail.from_settings(settings)
    try:
        if trail.adopt_orphans() or trail.spool.has_pending():
            log.warning("audit: %d records left by stopped workers replayed %s", trail.flush_spool(), moment)
    except Exception as exc:  # noqa: BLE001
        log.error("audit: %d records left by stopped workers wait for the database in %s (%s); they are replayed "
                  "when the service next starts on this instance folder", trail.spool.pending(),
                  settings.instance_path, type(exc).__name__)
    finally:
        trail.close()


def check_start_up(settings: Settings) -> None:
    """The guideline configuration and every reference data file load and validate, and the guideline is not
    retired (raises naming the file)."""
    from cards.config import load_guideline
    from cards.lifecycle import refuse_retired
    from fhir_mappings.reference_data import check_reference_data

    check_reference_data()
    guideline = load_guideline(settings.guideline_file)
    refuse_retired(guideline.lifecycle, guideline.meta.version, guideline.path)


def run_dev_keys(args: argparse.Namespace) -> int:
    from cds_service.auth.devkeys import create_dev_issuer

    issuer = create_dev_issuer(args.dir, args.alg, args.force)
    print(f"Development issuer {issuer.iss} ({issuer.alg}, kid {issuer.kid}) written to {issuer.folder}/\n"
          f"Never trust it where real patients are. Start the service with it:\n"
          f"  CDS_CONFIG={issuer.config} hamstring-cds serve\n"
          f"Mint a token for one call (aud is the exact URL called):\n"
          f"  hamstring-cds dev-token --dir {issuer.folder} --aud "
          f"http://127.0.0.1:8080/cds-services/hamstring-rehab-order-sign")
    return 0


def run_dev_token(args: argparse.Namespace) -> int:
    from cds_service.auth.devkeys import mint_dev_token

    print(mint_dev_token(args.aud, args.dir, args.lifetime, args.tenant))
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from cds_service.state import build_state, today_utc

    state = build_state(Settings())
    try:
        payload: Any = orjson.loads(args.request.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        print(f"hamstring-cds: cannot read {args.request}: {exc}", file=sys.stderr)
        return 2
    service_id = args.service or _service_for(payload, args.request)
    if service_id is None:
        return 2
    outcome = state.pipeline.run(service_id, payload, as_of=args.as_of or today_utc(),
                                 source_url=_criteria_url(state.settings))
    _print(outcome.body, args.pretty)
    return 0 if outcome.status == 200 else 1


def _service_for(payload: Any, path: Path) -> str | None:
    """The service for the request's hook; None, having said why on stderr, when it names none."""
    hook = payload.get("hook") if isinstance(payload, dict) else None
    if isinstance(hook, str) and hook in HOOK_SERVICES:
        return HOOK_SERVICES[hook]
    expected = ("evaluate expects a CDS Hooks request body: a JSON object with hook (one of "
                f"{', '.join(HOOK_SERVICES)}), hookInstance, context and prefetch at the top level")
    if not isinstance(payload, dict):
        problem = f"{path} is not a JSON object"
    elif hook is None:
        problem = f"{path} has no \"hook\""
        inner = payload.get("request")
        if isinstance(inner, dict) and "hook" in inner:
            problem += (" at the top level; its \"request\" member has one, as in a test fixture: evaluate "
                        f"that member alone (jq .request {path} > request.json)")
    else:
        problem = f"no service answers hook {str(hook)[:60]!r} in {path}"
    print(f"hamstring-cds: {problem}. {expected} (or name the service with --service ID).", file=sys.stderr)
    return None


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
