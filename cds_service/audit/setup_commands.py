"""The commands that set the service up rather than read its trail: `db upgrade|current`, `review-password`,
and the migrations `serve` runs before its workers start. Their arguments: cds_service/audit/commands.py."""

from __future__ import annotations

import argparse
import getpass
import sys

from cds_service.settings import Settings


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
        # The logger this line has always had (it was written from commands.py): log alerts match on it.
        logging.getLogger("cds_service.audit.commands").error(
            "database migrations not run at start (%s); the audit trail spools until the database answers",
            type(exc).__name__)
    finally:
        engine.dispose()
