"""Firing-rate monitoring (`hamstring-cds audit monitor`, /review, /readyz): each criterion's firing rate
per service (cards, shown or silent, per 100 in-population calls) in the recent window against its baseline
window just before, from the daily rollups. Flags:

- `stopped`: no card in the recent window where the baseline rate expected at least `min_expected_cards`;
- `drop` / `spike`: the rate fell below `drop_ratio` or rose above `spike_ratio` times the baseline, with at
  least `min_expected_cards` expected (or seen, for a spike; a criterion that newly fires is a spike);
- `failing`: the criterion raised in more than `max_failures` calls of the recent window;
- `skipped-resources`: more than `max_skipped_percent` of a service's recent calls had resources that
  could not be read.

Thresholds are settings (`CDS_MONITOR_*`, README); how to act on a flag: docs/quality-review.md.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from cds_service.audit.models import rollup
from cds_service.audit.rollup import CALL, days_in
from cds_service.settings import Settings

READYZ_CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class Thresholds:
    recent_days: int = 7
    baseline_days: int = 28
    spike_ratio: float = 2.0
    drop_ratio: float = 0.5
    min_expected_cards: float = 10.0
    max_failures: int = 0
    max_skipped_percent: float = 1.0

    @classmethod
    def of(cls, settings: Settings) -> Thresholds:
        return cls(settings.monitor_recent_days, settings.monitor_baseline_days, settings.monitor_spike_ratio,
                   settings.monitor_drop_ratio, settings.monitor_min_expected_cards, settings.monitor_max_failures,
                   settings.monitor_max_skipped_percent)


@dataclass(frozen=True)
class Flag:
    kind: str  # stopped | spike | drop | failing | skipped-resources
    service_id: str
    criterion: str | None
    recent: int  # cards, failures or calls with skipped resources in the recent window
    recent_rate: float | None  # per 100 in-population calls (skipped: per 100 calls)
    baseline_rate: float | None
    expected: float | None  # cards the baseline rate predicts for the recent window
    message: str


def windows(today: date, t: Thresholds) -> dict[str, tuple[date, date]]:
    recent_start = today - timedelta(days=t.recent_days - 1)
    return {"recent": (recent_start, today),
            "baseline": (recent_start - timedelta(days=t.baseline_days), recent_start - timedelta(days=1))}


def _window(db: Connection, since: date, until: date) -> dict[tuple[str, str], dict[str, int]]:
    names = ("calls", "in_population", "shown", "silent", "failed", "skipped_calls")
    sums = [func.sum(rollup.c[n]).label(n) for n in names]
    rows = db.execute(select(rollup.c.service_id, rollup.c.criterion_id, *sums)
                      .where(days_in(rollup, since, until)).group_by(rollup.c.service_id, rollup.c.criterion_id))
    return {(r.service_id, r.criterion_id): {n: int(getattr(r, n) or 0) for n in names} for r in rows}


def check(db: Connection, today: date, t: Thresholds) -> dict[str, Any]:
    spans = windows(today, t)
    recent, baseline = _window(db, *spans["recent"]), _window(db, *spans["baseline"])
    flags: list[Flag] = []
    services = sorted({s for s, _ in recent} | {s for s, _ in baseline})
    empty: dict[str, int] = defaultdict(int)
    for service in services:
        now_calls, then_calls = recent.get((service, CALL), empty), baseline.get((service, CALL), empty)
        criteria = sorted({c for s, c in (*recent, *baseline) if s == service and c != CALL})
        for criterion in criteria:
            flags += _criterion_flags(service, criterion, recent.get((service, criterion), empty),
                                      baseline.get((service, criterion), empty), now_calls["in_population"],
                                      then_calls["in_population"], t)
        skipped_percent = _per_100(now_calls["skipped_calls"], now_calls["calls"])
        if skipped_percent is not None and skipped_percent > t.max_skipped_percent:
            flags.append(Flag("skipped-resources", service, None, now_calls["skipped_calls"], skipped_percent,
                              _per_100(then_calls["skipped_calls"], then_calls["calls"]), None,
                              f"{skipped_percent:.1f} % of recent calls had resources that could not be read "
                              f"(threshold {t.max_skipped_percent} %)"))
    return {"recent": [d.isoformat() for d in spans["recent"]], "baseline": [d.isoformat() for d in spans["baseline"]],
            "thresholds": asdict(t), "flags": [asdict(f) for f in flags]}


def _criterion_flags(service: str, criterion: str, now: dict[str, int], then: dict[str, int], now_population: int,
                     then_population: int, t: Thresholds) -> list[Flag]:
    fired_now, fired_then = now["shown"] + now["silent"], then["shown"] + then["silent"]
    rate_now, rate_then = _per_100(fired_now, now_population), _per_100(fired_then, then_population)
    expected = round(fired_then * now_population / then_population, 1) if then_population else None
    out = []

    def flag(kind: str, message: str) -> None:
        out.append(Flag(kind, service, criterion, fired_now, rate_now, rate_then, expected, message))

    if expected is not None and expected >= t.min_expected_cards and rate_then:
        if fired_now == 0:
            flag("stopped", f"no card in the recent window; about {expected:.0f} expected at the baseline rate")
        elif rate_now is not None and rate_now < t.drop_ratio * rate_then:
            flag("drop", f"{rate_now} per 100 calls against {rate_then} (below {t.drop_ratio}x the baseline)")
    if rate_now is not None and fired_now >= t.min_expected_cards:
        if not rate_then:
            flag("spike", f"{fired_now} cards ({rate_now} per 100 calls) where the baseline had none")
        elif rate_now > t.spike_ratio * rate_then:
            flag("spike", f"{rate_now} per 100 calls against {rate_then} (above {t.spike_ratio}x the baseline)")
    if now["failed"] > t.max_failures:
        out.append(Flag("failing", service, criterion, now["failed"], _per_100(now["failed"], now_population),
                        _per_100(then["failed"], then_population), None,
                        f"raised an exception in {now['failed']} recent calls (allowed {t.max_failures})"))
    return out


def _per_100(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_cache_lock = threading.Lock()


def cached_check(engine: Engine, today: date, t: Thresholds) -> dict[str, Any]:
    """`check` at most once a minute per database and process (for /readyz, which probes call often)."""
    key = f"{engine.url}|{today}|{t}"
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        if hit and hit[0] > now:
            return hit[1]
    with engine.connect() as db:
        result = check(db, today, t)
    with _cache_lock:
        _cache.clear()
        _cache[key] = (now + READYZ_CACHE_SECONDS, result)
    return result
