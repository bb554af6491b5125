"""Batch inserts straight through the database driver (one `executemany` per table), for the audit
writer's hot path: SQLAlchemy's per-row parameter processing cost four times the insert itself.

Values are converted here as SQLAlchemy's own column types would store them: on SQLite, date-times as
`YYYY-MM-DD HH:MM:SS.ffffff` text, dates as ISO text and JSON as text; on PostgreSQL, date-times as
they are and JSON through psycopg's `Json`. The SQL is built once per table from its columns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, Connection, Date, DateTime, Table

Convert = Callable[[Any], Any]


def json_text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_datetime(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _postgres_json(value: Any) -> Any:
    from psycopg.types.json import Json

    return Json(value, dumps=json_text)


def _same(value: Any) -> Any:
    return value


class BulkInsert:
    """`INSERT ... ON CONFLICT (key) DO NOTHING` of many rows of one table, `id` left to the database.
    SQLite gets multi-row VALUES statements (its old builds allow 999 parameters each); PostgreSQL an
    `executemany` of the one-row statement, which psycopg parses once and pipelines."""

    def __init__(self, table: Table, conflict_key: str, dialect: str):
        self.columns = [c for c in table.columns if c.name != "id"]
        self.sqlite = dialect == "sqlite"
        mark = "?" if self.sqlite else "%s"
        self.head = f"INSERT INTO {table.name} ({', '.join(c.name for c in self.columns)}) VALUES "
        self.one = f"({', '.join(mark for _ in self.columns)})"
        self.tail = f" ON CONFLICT ({conflict_key}) DO NOTHING"
        self.per_statement = 999 // len(self.columns) if self.sqlite else 1
        self.converters: list[Convert] = [_converter(c.type, self.sqlite) for c in self.columns]
        self._sql: dict[int, str] = {}

    def run(self, db: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        pairs = list(zip(self.converters, [c.name for c in self.columns], strict=True))
        if not self.sqlite:
            if rows:
                db.exec_driver_sql(self._statement(1), [tuple(f(row[n]) for f, n in pairs) for row in rows])
            return
        for start in range(0, len(rows), self.per_statement):
            chunk = rows[start:start + self.per_statement]
            db.exec_driver_sql(self._statement(len(chunk)), tuple(f(row[n]) for row in chunk for f, n in pairs))

    def _statement(self, count: int) -> str:
        if count not in self._sql:
            self._sql[count] = self.head + ", ".join(self.one for _ in range(count)) + self.tail
        return self._sql[count]


def _converter(kind: Any, sqlite: bool) -> Convert:
    if isinstance(kind, JSON):
        return json_text if sqlite else _postgres_json
    if isinstance(kind, DateTime):
        return _sqlite_datetime if sqlite else _same
    if isinstance(kind, Date):
        return _sqlite_date if sqlite else _same
    return _same
