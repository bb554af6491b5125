"""Runs every configured criterion on one set of facts.

A criterion that raises is isolated: it is reported in `failed` and the others still answer.
Silent criteria (pilot roll-outs) are evaluated and reported apart, never returned as cards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from cards.config import INDICATOR_RANK, Guideline
from cards.facts import ClinicalFacts
from cards.findings import Finding
from cards.population import in_population
from cards.rules import ALL_CRITERIA

log = logging.getLogger(__name__)


@dataclass
class Evaluation:
    in_population: bool
    findings: list[Finding] = field(default_factory=list)
    silent: list[Finding] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def evaluate(facts: ClinicalFacts, guideline: Guideline) -> Evaluation:
    if not in_population(facts, guideline.file.population):
        return Evaluation(in_population=False)
    result = Evaluation(in_population=True)
    for cid, criterion in ALL_CRITERIA.items():
        try:
            finding = criterion.evaluate(facts, guideline.thresholds[cid])
        except Exception:
            log.exception("criterion %s failed; other criteria still answer", cid)
            result.failed.append(cid)
            continue
        if finding is None:
            continue
        if guideline.criterion(cid).silent:
            result.silent.append(finding)
        else:
            result.findings.append(finding)
    result.findings.sort(key=lambda f: (INDICATOR_RANK[guideline.criterion(f.criterion_id).indicator],
                                        f.criterion_id))
    return result
