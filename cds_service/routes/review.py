"""/review: pages for quality teams (dashboard with the firing-rate monitor's flags, feedback analytics,
filterable call list, one call's cards and feedback) and the read-only JSON API under /review/api.
Behind HTTP Basic reviewer logins from CDS_REVIEW_USERS
(password hashes; with none configured every request is refused). Server-rendered, no scripts.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for

from cds_service.audit import analytics, monitor, queries
from cds_service.audit.reasons import ReasonCoder
from cds_service.audit.records import now_utc
from cds_service.errors import BadRequest, json_response
from cds_service.jsonutil import without_nulls
from cds_service.review_auth import reviewer_refused
from cds_service.review_chart import line_chart
from cds_service.routes import state
from cds_service.services import SERVICES

bp = Blueprint("review", __name__, url_prefix="/review")
PAGE_SIZE = 50
MAX_ID = 2**63 - 1  # a record id is a 64-bit integer: a larger one names no call (and overflows SQLite)


@bp.before_request
def require_reviewer() -> Response | None:
    return reviewer_refused(state().settings.review_users, request.authorization)


@bp.after_request
def private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'"
    return response


@bp.get("/")
def dashboard() -> str:
    since, until = _window(default_days=30)
    with state().store.reader().engine.connect() as db:
        data = queries.dashboard(db, since, until, ReasonCoder.of(state().guideline))
        flags = monitor.check(db, now_utc().date(), monitor.Thresholds.of(state().settings))
    return render_template("review/dashboard.html", data=data, since=since, until=until, monitor=flags,
                           chart=line_chart(data["per_day"], since, until))


@bp.get("/analytics")
def analytics_page() -> str:
    data = _analytics()
    charts = {cid: line_chart(analytics.chart_points(points), *_window(default_days=90))
              for cid, points in data["daily"].items()}
    return render_template("review/analytics.html", data=data, charts=charts, args=request.args,
                           groups=analytics.GROUPS, periods=analytics.PERIODS, call_url=url_for("review.calls"))


@bp.get("/api/analytics")
def api_analytics() -> Response:
    data = _analytics()
    data.pop("daily")
    return review_json(data)


@bp.get("/api/monitor")
def api_monitor() -> Response:
    with state().store.reader().engine.connect() as db:
        return review_json(monitor.check(db, now_utc().date(), monitor.Thresholds.of(state().settings)))


@bp.get("/calls")
def calls() -> str:
    flt, rows, next_before = _listing()
    params: dict[str, Any] = {**request.args.to_dict(), "before": next_before}
    next_url = url_for("review.calls", **params) if next_before else None
    return render_template("review/calls.html", rows=rows, flt=flt, args=request.args, next_url=next_url,
                           services=sorted(SERVICES), criteria=sorted(state().guideline.file.criteria),
                           outcomes=queries.OUTCOMES)


@bp.get(f"/calls/<int(max={MAX_ID}):call_id>")
def call(call_id: int) -> str:
    with state().store.reader().engine.connect() as db:
        detail = queries.call_detail(db, call_id)
    if detail is None:
        abort(404)
    return render_template("review/call.html", call=detail)


@bp.get("/api")
@bp.get("/api/")
def api_index() -> Response:
    """What the JSON API offers (the review pages point here), with each endpoint's query parameters."""
    return review_json({"endpoints": {
        "/review/api/summary": "dashboard figures: since, until (YYYY-MM-DD; default the last 30 days)",
        "/review/api/calls": "call list: since, until, service, criterion, indicator, outcome, before (paging)",
        "/review/api/calls/{id}": "one call: its cards with observed values, thresholds and feedback",
        "/review/api/analytics": "feedback analytics per criterion: since, until, by, period and filters "
                                 "(docs/quality-review.md)",
        "/review/api/monitor": "firing-rate monitor flags (docs/quality-review.md)",
    }})


@bp.get("/api/summary")
def api_summary() -> Response:
    since, until = _window(default_days=30)
    with state().store.reader().engine.connect() as db:
        data = queries.dashboard(db, since, until, ReasonCoder.of(state().guideline))
    return review_json({"since": since.isoformat(), "until": until.isoformat(), **data})


@bp.get("/api/calls")
def api_calls() -> Response:
    _, rows, next_before = _listing()
    return review_json({"calls": rows, "nextBefore": next_before})


@bp.get(f"/api/calls/<int(max={MAX_ID}):call_id>")
def api_call(call_id: int) -> Response:
    with state().store.reader().engine.connect() as db:
        detail = queries.call_detail(db, call_id)
    if detail is None:
        abort(404)
    return review_json(detail)


def _listing() -> tuple[queries.CallFilter, list[dict[str, Any]], int | None]:
    since, until = _dates(default_days=None)
    start, end = queries.day_range(since, until)
    args = request.args
    outcome = args.get("outcome") if args.get("outcome") in queries.OUTCOMES else None
    flt = queries.CallFilter(since=start, until=end, service_id=args.get("service") or None,
                             criterion_id=args.get("criterion") or None, indicator=args.get("indicator") or None,
                             outcome=outcome)
    before = args.get("before", type=int)
    before = None if before is None else min(before, MAX_ID)  # every id is below a larger one
    with state().store.reader().engine.connect() as db:
        rows = queries.list_calls(db, flt, before, PAGE_SIZE + 1)
    next_before = rows[PAGE_SIZE - 1]["id"] if len(rows) > PAGE_SIZE else None
    return flt, rows[:PAGE_SIZE], next_before


def _analytics() -> dict[str, Any]:
    """The analytics of the request's range (default: 90 days), filters, grouping and period."""
    since, until = _window(default_days=90)
    args = request.args
    scope = analytics.Scope(since, until, **{g: args[g] for g in analytics.GROUPS if args.get(g)})
    by = args.get("by") if args.get("by") in analytics.GROUPS else None
    period = str(args.get("period")) if args.get("period") in analytics.PERIODS else "day"
    with state().store.reader().engine.connect() as db:
        data = analytics.analytics(db, scope, ReasonCoder.of(state().guideline), by, period)
        data["daily"] = data["series"] if period == "day" else analytics.series(db, scope, "day")
    return data


def _window(default_days: int) -> tuple[date, date]:
    since, until = _dates(default_days)
    assert since is not None and until is not None  # _dates fills both when given a default window
    return since, until


def _dates(default_days: int | None) -> tuple[date | None, date | None]:
    def parse(name: str) -> date | None:
        value = request.args.get(name)
        if not value:
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = date.max
        if day == date.max:  # the range ends the day after `until`: the last representable day has none
            raise BadRequest(f"{name}: give a day YYYY-MM-DD before 9999-12-31", [name])
        return day

    since, until = parse("since"), parse("until")
    if default_days is not None:
        until = until or now_utc().date()
        since = since or until - timedelta(days=min(default_days - 1, (until - date.min).days))
    return since, until


def review_json(data: Any) -> Response:
    """The review API's answers, without null members (a value not known is left out)."""
    return json_response(without_nulls(data))
