"""The commands that read or write the stored audit trail: `audit export|prune|flush|report|monitor|rollup|
pilot-report` and `replay`. Their arguments are declared in cds_service/audit/commands.py."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

import orjson

from cds_service.audit.records import now_utc
from cds_service.settings import Settings


def _trail(settings: Settings):  # type: ignore[no-untyped-def]
    from cds_service.audit.recorder import AuditTrail

    store = (settings.instance_path / "cds.sqlite3").resolve()
    if settings.database_url is None and not store.exists():  # else an empty store is made and reported on
        raise FileNotFoundError(f"no audit trail at {store}: run this where the service runs, or set "
                                "CDS_INSTANCE_PATH or CDS_DATABASE_URL as the service has them")
    return AuditTrail.from_settings(settings)


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
