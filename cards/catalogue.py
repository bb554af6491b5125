"""docs/criteria.md, generated from the reviewed configuration and the criteria registry, with how free
text is read (cards/free_text.py).

Run: python -m cards.catalogue > docs/criteria.md   (a test fails when the file is stale)
"""

from __future__ import annotations

import sys

from cards.config import Guideline, load_guideline
from cards.free_text import section as free_text_section

HEADER = """# Criteria

Generated from `cards/guideline.toml` by `python -m cards.catalogue`; do not edit by hand.
Guideline: {title}, version {version} ({status}, next review {next_review}; config SHA-256 `{sha}`).

Every card carries its criterion id in `source.topic.code` (system `{system}`). Patients outside the
population get no cards: it is age {min_age}-{max_age} with a current hamstring condition (an active one, an
encounter diagnosis without a clinical status recorded in the last {encounter_days} days, or the reason a draft
or active physical-therapy order gives).

| id | fires when | indicator | thresholds | evidence |
|---|---|---|---|---|
"""


def fires_when(guideline: Guideline, criterion_id: str) -> str:
    """The criterion's `fires_when` from the configuration, with the thresholds in force: a threshold
    changed in review changes this page."""
    return guideline.criterion(criterion_id).fires_when.format_map(guideline.template_values(criterion_id))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(guideline: Guideline) -> str:
    meta, population = guideline.meta, guideline.file.population
    out = [HEADER.format(title=meta.title, version=meta.version, sha=guideline.sha256[:12], system=meta.topic_system,
                         status=guideline.lifecycle.status, next_review=guideline.lifecycle.next_review_date,
                         min_age=population.min_age_years, max_age=population.max_age_years,
                         encounter_days=population.encounter_diagnosis_days)]
    for cid, cfg in guideline.file.criteria.items():
        thresholds = ", ".join(f"`{k}` = {v}" for k, v in guideline.template_values(cid).items()
                               if isinstance(v, int | float)) or "-"
        evidence = [f"[{guideline.file.evidence[e].citation.split('.')[0]}](https://doi.org/"
                    f"{guideline.file.evidence[e].doi})" if guideline.file.evidence[e].doi
                    else guideline.file.evidence[e].citation.split(".")[0] for e in cfg.evidence]
        if cfg.local_policy:
            evidence.append(f"local guideline policy: {cfg.local_policy}")
        silent = " (silent)" if cfg.silent else ""
        out.append(f"| {cid} | {_cell(fires_when(guideline, cid))} | {cfg.indicator}{silent} | {_cell(thresholds)} | "
                   f"{_cell('; '.join(evidence) or '-')} |\n")
    return "".join(out) + free_text_section()


if __name__ == "__main__":
    sys.stdout.write(render(load_guideline(sys.argv[1] if len(sys.argv) > 1 else None)))
