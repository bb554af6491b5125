"""Batch inserts straight through the database driver (one `executemany` per table), for the audit
writer's hot path: SQLAlchemy's per-row parameter processing cost four times the insert itself.

Values are converted here as SQLAlchemy's own column types would store them: on SQLite, date-times as
`YYYY-MM-DD HH:MM:SS.ffffff` text, dates as ISO text and JSON as text; on PostgreSQL, date-times as
they are and JSON through psycopg's `Json`. The SQL is built once per table from its columns.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from itertools import chain
from typing import Any

import orjson
from sqlalchemy import JSON, Connection, Date, DateTime, Table

Convert = Callable[[Any], Any]


def json_text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # the audit's naive UTC times: isoformat writes them as strftime would, faster
        return value.isoformat(" ", "microseconds")
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


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
        getter = operator.itemgetter(*(c.name for c in self.columns))  # a row's values in column order
        self._pick: Callable[[Mapping[str, Any]], Any] = getter if len(self.columns) > 1 else lambda r: (getter(r),)
        converters = [_converter(c.type, self.sqlite) for c in self.columns]
        self._converted = [(i, f) for i, f in enumerate(converters) if f is not _same]
        self._sql: dict[int, str] = {}

    def run(self, db: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        values = [self._values(row) for row in rows]
        if not self.sqlite:
            if values:
                db.exec_driver_sql(self._statement(1), values)
            return
        for start in range(0, len(values), self.per_statement):
            chunk = values[start:start + self.per_statement]
            db.exec_driver_sql(self._statement(len(chunk)), tuple(chain.from_iterable(chunk)))

    def _values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        values = list(self._pick(row))
        for i, convert in self._converted:
            values[i] = convert(values[i])
        return tuple(values)

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
