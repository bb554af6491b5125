"""Database engines and migrations.

SQLite (the default, a file in the instance folder) runs in WAL mode so readers never block the one
writer; PostgreSQL URLs use psycopg 3 with a short connect timeout, so an unreachable database costs a
hook call little before its record goes to the spool. Migrations are Alembic scripts shipped inside
the package (`migrations/`), configured in code so `hamstring-cds db upgrade` works from a wheel.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from cds_service import sqlite_wal
from cds_service.audit.bulk import json_text

MIGRATIONS = Path(__file__).with_name("migrations")
CONNECT_TIMEOUT_SECONDS = 2
_MIGRATING = threading.Lock()
MIGRATION_LOCK_KEY = 0x68616D73  # pg_advisory_xact_lock key of the audit migrations ("hams")


def normalize_url(url: str) -> str:
    """`postgresql://` and `postgres://` mean psycopg 3 here (psycopg2 is not a dependency)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True, "json_serializer": json_text}  # orjson, as bulk inserts
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 10}
    elif parsed.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        kwargs.update(pool_size=5, max_overflow=5, pool_timeout=5)
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    # A gunicorn worker forked from a master that opened connections must not share them.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    sqlite_wal.prepare(dbapi_connection)  # WAL + NORMAL: a commit survives a crash of the process
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; a database already there is only checked (cheap).

    One migration at a time, whoever runs it: threads of a process (Alembic's `context` and `op` are
    process-wide), and processes too (gunicorn workers finding a new or older database on their first
    record, `db upgrade` beside a running service): a file lock beside a SQLite database, a
    transaction-scoped advisory lock on PostgreSQL. The revision is read again once the lock is held,
    so the processes that waited find the work done instead of repeating it ("table already exists").
    """
    with _MIGRATING:
        if revision == "head" and current_revision(engine) == head_revision(engine):
            return
        config = alembic_config(engine)
        with _sqlite_file_lock(engine), engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
            if revision == "head" and (MigrationContext.configure(connection).get_current_revision()
                                       == head_revision(engine)):
                return
            config.attributes["connection"] = connection
            command.upgrade(config, revision)


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    """An exclusive lock on `<database>.migrate.lock` for a SQLite file database; nothing otherwise."""
    name = engine.url.database if engine.dialect.name == "sqlite" else None
    if not name or name == ":memory:" or name.startswith("file:"):
        yield
        return
    with open(f"{name}.migrate.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
