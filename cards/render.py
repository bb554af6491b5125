"""The only card builder: turns a Finding and its reviewed config into a CDS Hooks 2.0 card.

Cards carry a fresh uuid, a summary under 140 characters, markdown detail (observed against
required, what to do, evidence or a local-policy label), the criterion id as `source.topic.code`,
override reasons, and suggestions whose actions come from the injected `build_action`.
No member is ever null or empty.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cards.config import MAX_SUMMARY_CHARS, CriterionConfig, Guideline, phrased
from cards.findings import Finding, Fix
from cards.ids import new_uuid

ActionBuilder = Callable[[Fix, str], dict[str, Any] | None]
# Markdown's special characters, each escaped with a backslash.
_MARKDOWN_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+!|<>~"})


def render_card(finding: Finding, guideline: Guideline, build_action: ActionBuilder,
                source_url: str | None = None) -> dict[str, Any]:
    cfg = guideline.criterion(finding.criterion_id)
    thresholds = guideline.template_values(finding.criterion_id)
    values = phrased({**thresholds, **finding.observed}, cfg)
    card: dict[str, Any] = {
        "uuid": new_uuid(),
        "summary": _summary(cfg.summary.format_map(values)),
        "detail": _detail(cfg, guideline, phrased({**thresholds, **_escaped(finding.observed)}, cfg,
                                                  finding.observed)),
        "indicator": cfg.indicator,
        "source": _source(finding.criterion_id, cfg, guideline, source_url),
    }
    suggestions = [s for s in (_suggestion(fix, cfg, values, build_action) for fix in finding.fixes) if s]
    if suggestions:
        suggestions[0]["isRecommended"] = True  # with at-most-one, only one may be recommended
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "at-most-one"
    reasons = guideline.file.override_reasons
    if cfg.override_reasons:
        card["overrideReasons"] = [
            {"system": reasons.system, "code": code, "display": reasons.codes[code]}
            for code in cfg.override_reasons
        ]
    if cfg.links:
        card["links"] = [{"label": link.label, "url": link.url, "type": "absolute"} for link in cfg.links]
    return card


def _summary(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_SUMMARY_CHARS else text[: MAX_SUMMARY_CHARS - 1] + "…"


def _escaped(observed: dict[str, Any]) -> dict[str, Any]:
    return {k: v.translate(_MARKDOWN_ESCAPES) if isinstance(v, str) else v for k, v in observed.items()}


def _detail(cfg: CriterionConfig, guideline: Guideline, values: dict[str, Any]) -> str:
    parts = [cfg.detail.format_map(values).strip()]
    for key in cfg.evidence:
        ev = guideline.file.evidence[key]
        ref = f" [doi:{ev.doi}](https://doi.org/{ev.doi})" if ev.doi else (f" <{ev.url}>" if ev.url else "")
        parts.append(f"**Evidence** ({ev.supports}): {ev.citation}.{ref}")
    if cfg.local_policy:
        parts.append(f"**Local guideline policy:** {cfg.local_policy}. No published source was found for this "
                     "statement; it is the local guideline's expert opinion.")
    return "\n\n".join(parts)


def _source(cid: str, cfg: CriterionConfig, guideline: Guideline, source_url: str | None) -> dict[str, Any]:
    meta = guideline.meta
    source: dict[str, Any] = {
        "label": meta.source_label,
        "topic": {"system": meta.topic_system, "code": cid, "display": cfg.title},
    }
    url = meta.source_url or source_url
    if url:
        source["url"] = url
    return source


def _suggestion(fix: Fix, cfg: CriterionConfig, values: dict[str, Any],
                build_action: ActionBuilder) -> dict[str, Any] | None:
    text = cfg.suggestions.get(fix.text_key)
    if text is None:
        return None
    description = text.description.format_map(values)
    actions = [build_action(step, description) for step in (fix, *fix.also)]
    if any(action is None for action in actions):
        return None  # a suggestion is accepted whole: all its actions, or it is not offered
    return {"label": text.label.format_map(values), "uuid": new_uuid(), "actions": actions}
