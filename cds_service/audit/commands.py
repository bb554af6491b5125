"""Command-line side of the audit trail: `db upgrade`, `audit export|prune|flush|report|monitor|rollup|pilot-report`,
`replay`, `review-password`. Registered on the `hamstring-cds` parser by cds_service/cli.py."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import orjson

from cds_service.audit.records import now_utc
from cds_service.cli_types import day, whole_days
from cds_service.settings import Settings

Handler = Callable[[argparse.Namespace], int]


def register(commands: argparse._SubParsersAction) -> dict[str, Handler]:  # type: ignore[type-arg]
    db = commands.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade", "current"], help="upgrade: run the migrations; current: print "
                                                                   "the schema revision")

    audit = commands.add_parser("audit", help="export, report on, monitor or prune the audit trail; replay its spool")
    actions = audit.add_subparsers(dest="audit_command", required=True)
    export = actions.add_parser("export", help="calls, cards and feedback as CSV, JSON lines, FHIR AuditEvents or "
                                               "FHIR GuidanceResponses")
    export.add_argument("--since", type=day, required=True, help="first day YYYY-MM-DD (UTC)")
    export.add_argument("--until", type=day, help="last day, inclusive (default: all)")
    export.add_argument("--format", choices=["csv", "jsonl", "fhir", "guidance-response"], default="jsonl")
    export.add_argument("--base-url", help="the service's public URL, for the GuidanceResponses' moduleUri "
                                           "(default: CDS_PUBLIC_BASE_URL)")
    export.add_argument("--output", type=Path, help="file to write (default: standard output)")
    prune = actions.add_parser("prune", help="delete records older than DAYS (captured requests per retention)")
    prune.add_argument("--older-than", type=whole_days, required=True, metavar="DAYS",
                       help="keep the records of the last DAYS days (1 or more)")
    actions.add_parser("flush", help="replay the local spool, and the journals of stopped processes, into the "
                                     "database now")
    report = actions.add_parser("report", help="feedback analytics per criterion (committee packs)")
    report.add_argument("--since", type=day, required=True, help="first day YYYY-MM-DD (UTC)")
    report.add_argument("--until", type=day, help="last day, inclusive (default: today)")
    report.add_argument("--format", choices=["csv", "json", "html"], default="html")
    report.add_argument("--by", choices=["guideline_version", "service_id", "hook", "issuer", "tenant"],
                        help="one group per value of this dimension")
    report.add_argument("--period", choices=["day", "week", "month"], default="week", help="of the series")
    report.add_argument("--output", type=Path, help="file to write (default: standard output)")
    monitor = actions.add_parser("monitor", help="flag criteria whose firing rate stopped, dropped or spiked, that "
                                                 "fail or skip resources; exit 1 when any is flagged")
    monitor.add_argument("--json", action="store_true", help="print the result as JSON")
    pilot = actions.add_parser("pilot-report", help="how often each silent (pilot) criterion would have fired, for "
                                                     "how many patients, alongside which active cards")
    pilot.add_argument("--since", type=day, required=True, help="first day YYYY-MM-DD (UTC)")
    pilot.add_argument("--until", type=day, help="last day, inclusive (default: today)")
    pilot.add_argument("--format", choices=["text", "json", "csv"], default="text")
    pilot.add_argument("--output", type=Path, help="file to write (default: standard output)")
    rollup = actions.add_parser("rollup", help="the daily rollups the review pages read")
    rollup.add_argument("--rebuild", action="store_true", required=True,
                        help="recount them from the stored calls, cards and feedback")
    rollup.add_argument("--since", type=day, help="first day to recount (default: all)")

    replay = commands.add_parser("replay", help="re-evaluate captured calls under another guideline config")
    replay.add_argument("--since", type=day, required=True, help="first day YYYY-MM-DD (UTC)")
    replay.add_argument("--until", type=day, help="last day, inclusive")
    replay.add_argument("--config", type=Path, required=True, help="the other guideline config (TOML)")
    replay.add_argument("--json", action="store_true", help="print the report as JSON")

    commands.add_parser("review-password", help="hash a reviewer password for CDS_REVIEW_USERS (read from stdin "
                                                "or asked for)",
                        description="Prints the hash of a reviewer password (12 characters or more). Give it to "
                                    "the service with the login name, as JSON: CDS_REVIEW_USERS='{\"alice\": "
                                    "\"<hash>\"}' (several logins: more members), then sign in to /review with "
                                    "alice and the password.")
    return {"db": run_db, "audit": run_audit, "replay": run_replay, "review-password": run_review_password}


def _trail(settings: Settings):  # type: ignore[no-untyped-def]
    from cds_service.audit.recorder import AuditTrail

    store = (settings.instance_path / "cds.sqlite3").resolve()
    if settings.database_url is None and not store.exists():  # else an empty store is made and reported on
        raise FileNotFoundError(f"no audit trail at {store}: run this where the service runs, or set "
                                "CDS_INSTANCE_PATH or CDS_DATABASE_URL as the service has them")
    return AuditTrail.from_settings(settings)


def run_db(args: argparse.Namespace) -> int:
    from cds_service.audit import database

    engine = database.make_engine(Settings().database)
    try:
        if args.action == "upgrade":
            database.upgrade(engine)
        print(f"schema revision: {database.current_revision(engine)} (head {database.head_revision(engine)})")
    finally:
        engine.dispose()
    return 0


def run_audit(args: argparse.Namespace) -> int:
    settings = Settings()
    trail = _trail(settings)
    try:
        if args.audit_command == "export":
            return _export(trail, args, args.base_url or settings.public_base_url)
        if args.audit_command == "pilot-report":
            return _pilot_report(trail, settings, args)
        if args.audit_command in ("report", "monitor", "rollup"):
            from cds_service.audit.review_commands import run

            return run(trail, settings, args)
        if args.audit_command == "prune":
            now = now_utc()  # the database keeps naive UTC
            removed = trail.repository.prune(now - timedelta(days=args.older_than),
                                             now - timedelta(days=min(args.older_than,
                                                                      settings.audit_capture_retention_days)))
            print(orjson.dumps(removed).decode())
            return 0
        adopted = trail.adopt_orphans()  # journals left by processes that stopped without committing
        print(f"replayed {trail.flush_spool()} spooled records ({adopted} journal segments of stopped processes)")
        return 0
    finally:
        trail.close()


def _export(trail, args: argparse.Namespace, base_url: str | None) -> int:  # type: ignore[no-untyped-def]
    from cds_service.audit.export import export_calls
    from cds_service.audit.queries import day_range

    since, until = day_range(args.since, args.until)
    assert since is not None
    if args.output:
        with args.output.open("w", newline="") as out:
            count = export_calls(trail.repository.engine, since, until, args.format, out, base_url)
    else:
        count = export_calls(trail.repository.engine, since, until, args.format, sys.stdout, base_url)
    print(f"exported {count} calls", file=sys.stderr)
    return 0


def _pilot_report(trail, settings: Settings, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from cards.config import load_guideline
    from cds_service.audit.pilot import pilot_report, write_pilot_report

    criteria = load_guideline(settings.guideline_file).file.criteria
    until = args.until or now_utc().date()
    with trail.repository.engine.connect() as db:
        data = pilot_report(db, args.since, until, {cid: cfg.title for cid, cfg in criteria.items()},
                            {cid for cid, cfg in criteria.items() if cfg.silent})
    if args.output:
        with args.output.open("w", newline="") as out:
            write_pilot_report(data, args.format, out)
    else:
        write_pilot_report(data, args.format, sys.stdout)
    return 0


def run_replay(args: argparse.Namespace) -> int:
    from cards.config import load_guideline
    from cds_service.audit.queries import day_range
    from cds_service.audit.replay import ProgressBar, count_captured, print_report, replay
    from cds_service.pipeline import Pipeline
    from cds_service.state import build_state

    settings = Settings()
    state = build_state(settings)
    other = Pipeline(load_guideline(args.config), state.pipeline.resolver, state.pipeline.templates)
    since, until = day_range(args.since, args.until)
    assert since is not None
    trail = _trail(settings)
    try:
        engine = trail.repository.engine
        total = count_captured(engine, since, until)
        if not total:
            print("no captured requests in that range (is CDS_AUDIT_CAPTURE_REQUESTS=true?)", file=sys.stderr)
        report = replay(engine, other, since, until, progress=ProgressBar(total) if total else None)
    finally:
        trail.close()
    if args.json:
        print(orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        print_report(report, sys.stdout)
    return 0


def run_review_password(args: argparse.Namespace) -> int:
    from werkzeug.security import generate_password_hash

    password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("Password: ")
    if len(password) < 12:
        print("hamstring-cds: a reviewer password needs at least 12 characters", file=sys.stderr)
        return 2
    print(generate_password_hash(password))
    return 0


def migrate_before_serving() -> None:
    """`serve` runs the migrations once, before the workers start, when CDS_DATABASE_MIGRATE_ON_START is
    true. An unreachable database does not stop the start: records wait in the spool."""
    import logging

    from cds_service.audit import database

    settings = Settings()
    if not settings.database_migrate_on_start:
        return
    engine = database.make_engine(settings.database)
    try:
        database.upgrade(engine)
    except Exception as exc:  # noqa: BLE001
        logging.getLogger(__name__).error("database migrations not run at start (%s); the audit trail spools "
                                          "until the database answers", type(exc).__name__)
    finally:
        engine.dispose()
