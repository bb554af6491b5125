"""`hamstring-cds audit report | monitor | rollup --rebuild` (registered in cds_service/audit/commands.py)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TextIO

import orjson

from cds_service.audit import analytics, monitor, rollup
from cds_service.audit.records import now_utc
from cds_service.audit.report import write_report
from cds_service.settings import Settings


def run(trail: Any, settings: Settings, args: argparse.Namespace) -> int:
    command = {"report": _report, "monitor": _monitor, "rollup": _rollup}[args.audit_command]
    return command(trail, settings, args)


def _report(trail: Any, settings: Settings, args: argparse.Namespace) -> int:
    scope = analytics.Scope(args.since, args.until or now_utc().date())
    with trail.repository.engine.connect() as db:
        data = analytics.analytics(db, scope, trail.reasons, args.by, args.period)
        if args.format == "html":
            data["daily"] = analytics.series(db, scope, "day")
    if args.output:
        with args.output.open("w", newline="") as out:
            write_report(data, args.format, out)
    else:
        write_report(data, args.format, sys.stdout)
    criteria = sum(len(g["criteria"]) for g in data["groups"])
    print(f"report {scope.since} to {scope.until}: {criteria} criterion rows", file=sys.stderr)
    return 0


def _monitor(trail: Any, settings: Settings, args: argparse.Namespace) -> int:
    with trail.repository.engine.connect() as db:
        result = monitor.check(db, now_utc().date(), monitor.Thresholds.of(settings))
    if args.json:
        print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    else:
        _print_monitor(result, sys.stdout)
    return 1 if result["flags"] else 0


def _print_monitor(result: dict[str, Any], out: TextIO) -> None:
    print(f"recent {' to '.join(result['recent'])} against baseline {' to '.join(result['baseline'])}", file=out)
    for flag in result["flags"]:
        print(f"{flag['kind'].upper():18s} {flag['criterion'] or '-':7s} {flag['service_id']}: {flag['message']}",
              file=out)
    if not result["flags"]:
        print("no flags", file=out)


def _rollup(trail: Any, settings: Settings, args: argparse.Namespace) -> int:
    started = time.perf_counter()
    with trail.repository.engine.begin() as db:
        counted = rollup.rebuild(db, args.since)
    print(f"rollups rebuilt from {counted['calls']} calls, {counted['cards']} cards and {counted['feedback']} "
          f"feedback items in {time.perf_counter() - started:.1f} s")
    return 0
