"""`hamstring-cds audit report`: the feedback analytics of a date range (cds_service/audit/analytics.py) as
CSV (one row per group and criterion, the reasons and suggestions in two columns), JSON, or one HTML file
with the tables and charts of /review/analytics, for committee packs."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any, TextIO

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape

from cds_service.audit.analytics import chart_points
from cds_service.audit.records import now_utc
from cds_service.jsonutil import without_nulls
from cds_service.review_chart import line_chart

FORMATS = ("csv", "json", "html")
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
CSV_COLUMNS = ["group", "criterion", "in_population", "fired", "firing_rate", "shown", "accepted", "acceptance_rate",
               "overridden", "override_rate", "no_feedback", "no_feedback_rate", "silent", "failed",
               "override_reasons", "accepted_suggestions"]


def write_report(data: dict[str, Any], fmt: str, out: TextIO) -> None:
    {"csv": _csv, "json": _json, "html": _html}[fmt](data, out)


def _csv(data: dict[str, Any], out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for group in data["groups"]:
        for row in group["criteria"]:
            reasons = "; ".join(f"{r['standard_code'] or 'not coded'} ({r['code'] or 'comment only'}): {r['count']}"
                                for r in row["override_reasons"])
            accepted = "; ".join(f"{a['suggestion'] or 'not recorded'}: {a['count']}"
                                 for a in row["accepted_suggestions"])
            writer.writerow({**row, "group": group["group"], "override_reasons": reasons,
                             "accepted_suggestions": accepted})


def _json(data: dict[str, Any], out: TextIO) -> None:
    out.write(orjson.dumps(without_nulls(data), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode() + "\n")


def _html(data: dict[str, Any], out: TextIO) -> None:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    since, until = date.fromisoformat(data["since"]), date.fromisoformat(data["until"])
    charts = {cid: line_chart(chart_points(points), since, until) for cid, points in data.get("daily", {}).items()}
    out.write(env.get_template("review/report.html").render(data=data, charts=charts, call_url=None,
                                                            generated=now_utc().strftime("%Y-%m-%d %H:%M")))
