"""Command-line side of the audit trail: `db upgrade`, `audit export|prune|flush|report|monitor|rollup|pilot-report`,
`replay`, `review-password`. Registered on the `hamstring-cds` parser by cds_service/cli.py.

Here: their arguments, and which function runs each. The commands themselves: trail_commands.py (those
that read or write the trail), setup_commands.py (the schema and reviewer passwords)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from cds_service.audit.setup_commands import run_db, run_review_password
from cds_service.audit.trail_commands import run_audit, run_replay
from cds_service.cli_types import base_url, day, whole_days

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
    export.add_argument("--base-url", type=base_url, help="the service's public URL, for the GuidanceResponses' "
                                                          "moduleUri (default: CDS_PUBLIC_BASE_URL)")
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
