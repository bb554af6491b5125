"""Loads and validates the reviewed guideline configuration (`cards/guideline.toml` by default).

Start-up fails, naming the problem, when a criterion has no logic, logic has no config, a threshold
is missing or unknown, an evidence or override-reason key is undefined, a local override reason has no
standard (HL7 non-adherence reason) code, a text a card shows is blank, a summary would render to 140
characters or more, or the [lifecycle] table is missing or inconsistent (cards/lifecycle.py).
"""

from __future__ import annotations

import hashlib
import json
import string
import tomllib
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from cards.lifecycle import Lifecycle
from cards.rules import ALL_CRITERIA
from cards.rules.base import Thresholds

DEFAULT_GUIDELINE_FILE = Path(__file__).with_name("guideline.toml")
NON_ADHERENCE_FILE = Path(__file__).with_name("non-adherence-reason-codes.json")
MAX_SUMMARY_CHARS = 139
INDICATOR_RANK = {"critical": 0, "warning": 1, "info": 2}


class GuidelineConfigError(ValueError):
    """The guideline configuration is invalid; the message says where."""


# Text that reaches a card: never empty or blank, so cards are clean by construction (no null or empty member).
CardText = Annotated[str, StringConstraints(min_length=1, pattern=r"\S")]


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# A FHIR id (the PlanDefinition's id and name come from it) and a version that says something.
FhirId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9\-.]{1,64}$")]


class GuidelineMeta(Strict):
    id: FhirId
    version: CardText
    title: CardText
    source_label: CardText
    topic_system: CardText
    source_url: CardText | None = None
    # The guideline's canonical URL (PlanDefinition.url); stays the same across deployments and versions.
    canonical_url: CardText | None = None
    # Added to the description of an update that also carries other cards' edits to the same order.
    carries_other_edits: CardText | None = None
    # Added when an edit could not bring some fields of the order in line ({fields}: their FHIR paths).
    change_by_hand: CardText | None = None


class Population(Strict):
    min_age_years: int = Field(ge=0)
    max_age_years: int = Field(ge=0)
    # An encounter diagnosis without a clinical status counts when dated within this many days.
    encounter_diagnosis_days: int = Field(ge=1)


class OverrideReasons(Strict):
    system: CardText
    codes: dict[str, CardText]
    # Local code -> HL7 non-adherence reason code (CDS Hooks 3.0), so overrides compare across sites.
    standard: dict[str, str] = {}


@dataclass(frozen=True)
class NonAdherenceCodes:
    """The HL7 non-adherence reason code system (cards/non-adherence-reason-codes.json)."""

    system: str
    display: dict[str, str]
    category: dict[str, str | None]


@cache
def non_adherence_codes() -> NonAdherenceCodes:
    data = json.loads(NON_ADHERENCE_FILE.read_text())
    codes = data["codes"]
    return NonAdherenceCodes(system=data["system"], display={c: v["display"] for c, v in codes.items()},
                             category={c: v["category"] for c, v in codes.items()})


class Evidence(Strict):
    citation: CardText
    doi: CardText | None = None
    url: CardText | None = None
    supports: CardText


class SuggestionText(Strict):
    label: CardText
    description: CardText


class LinkConfig(Strict):
    label: CardText
    url: CardText


class CriterionConfig(Strict):
    title: CardText
    indicator: Literal["info", "warning", "critical"]
    fires_when: CardText  # docs/criteria.md's "fires when", with the thresholds in force ({name})
    summary: CardText
    detail: CardText
    evidence: list[str] = []
    local_policy: CardText | None = None
    override_reasons: list[str] = []
    suggestions: dict[str, SuggestionText] = {}
    # Card wording for an observed value that is a key, not a number or a name from the record:
    # field -> {key -> text}; the text may name other values ({name}). Rules return keys, never English.
    phrases: dict[str, dict[str, CardText]] = {}
    links: list[LinkConfig] = []
    silent: bool = False
    thresholds: dict[str, Any]


class TerminologyConfig(Strict):
    """Local codes a site adds to concept sets: set id -> ["system|code", ...]. Checked against the
    concept sets by fhir_mappings when the service starts (docs/site-codes.md)."""

    site_codes: dict[str, list[str]] = {}


class GuidelineFile(Strict):
    guideline: GuidelineMeta
    lifecycle: Lifecycle
    population: Population
    override_reasons: OverrideReasons
    evidence: dict[str, Evidence] = {}
    terminology: TerminologyConfig = TerminologyConfig()
    criteria: dict[str, CriterionConfig]


@dataclass(frozen=True)
class Guideline:
    """The validated configuration, with each criterion's thresholds parsed by its own model."""

    file: GuidelineFile
    thresholds: dict[str, Thresholds]
    sha256: str
    path: Path = DEFAULT_GUIDELINE_FILE

    @property
    def lifecycle(self) -> Lifecycle:
        return self.file.lifecycle

    @property
    def meta(self) -> GuidelineMeta:
        return self.file.guideline

    def criterion(self, criterion_id: str) -> CriterionConfig:
        return self.file.criteria[criterion_id]

    def template_values(self, criterion_id: str) -> dict[str, Any]:
        return dict(self._template_values[criterion_id])  # a copy: callers may add to it

    @cached_property
    def _template_values(self) -> dict[str, dict[str, Any]]:
        """Each criterion's thresholds as plain values (numbers and text), dumped once."""
        return {cid: thresholds.model_dump() for cid, thresholds in self.thresholds.items()}


def load_guideline(path: Path | str | None = None) -> Guideline:
    path = Path(path) if path else DEFAULT_GUIDELINE_FILE
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
        parsed = GuidelineFile.model_validate(data)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise GuidelineConfigError(f"{path}: cannot read guideline config: {exc}") from exc
    except ValidationError as exc:
        raise GuidelineConfigError(f"{path}: invalid guideline config:\n{exc}") from exc
    thresholds = _validate(parsed, path)
    return Guideline(file=parsed, thresholds=thresholds, sha256=hashlib.sha256(raw).hexdigest(), path=path)


def _validate(parsed: GuidelineFile, path: Path) -> dict[str, Thresholds]:
    configured, implemented = set(parsed.criteria), set(ALL_CRITERIA)
    if configured - implemented:
        raise GuidelineConfigError(f"{path}: criteria without logic: {sorted(configured - implemented)}")
    if implemented - configured:
        raise GuidelineConfigError(f"{path}: criteria without config: {sorted(implemented - configured)}")
    if parsed.population.min_age_years > parsed.population.max_age_years:
        raise GuidelineConfigError(f"{path}: population min_age_years exceeds max_age_years")
    _check_standard_reasons(parsed.override_reasons, path)
    thresholds: dict[str, Thresholds] = {}
    for cid, cfg in parsed.criteria.items():
        criterion = ALL_CRITERIA[cid]
        try:
            thresholds[cid] = criterion.thresholds_model.model_validate(cfg.thresholds)
        except ValidationError as exc:
            raise GuidelineConfigError(f"{path}: {cid} thresholds: {exc}") from exc
        _check_references(parsed, cid, cfg, path)
        values = {**thresholds[cid].model_dump(), **criterion.example_observed}
        for field, table in cfg.phrases.items():
            for key, phrase in table.items():
                _check_placeholders(cid, f"phrases.{field}.{key}", phrase, values, path)
        values = longest_phrases(values, cfg)
        for field, template in _templates(cfg):
            _check_placeholders(cid, field, template, values, path)
        _check_placeholders(cid, "fires_when", cfg.fires_when, thresholds[cid].model_dump(), path)
        summary = cfg.summary.format_map(values)
        if len(summary) > MAX_SUMMARY_CHARS:
            raise GuidelineConfigError(
                f"{path}: {cid} summary renders to {len(summary)} characters (max {MAX_SUMMARY_CHARS}): {summary}"
            )
    return thresholds


def phrased(values: dict[str, Any], cfg: CriterionConfig, keys: dict[str, Any] | None = None) -> dict[str, Any]:
    """`values` with each observed key that has a phrase replaced by the phrase, itself filled in. `keys`: the
    observed values as the rule returned them, when `values` holds them transformed (escaped for markdown)."""
    out = dict(values)
    for field, table in cfg.phrases.items():
        key = (values if keys is None else keys).get(field)
        if isinstance(key, str) and key in table:
            out[field] = table[key].format_map(values)
    return out


def longest_phrases(values: dict[str, Any], cfg: CriterionConfig) -> dict[str, Any]:
    """For the start-up length check: each phrased field at its longest wording."""
    out = dict(values)
    for field, table in cfg.phrases.items():
        out[field] = max((phrase.format_map(values) for phrase in table.values()), key=len)
    return out


def _check_references(parsed: GuidelineFile, cid: str, cfg: CriterionConfig, path: Path) -> None:
    unknown_evidence = [e for e in cfg.evidence if e not in parsed.evidence]
    if unknown_evidence:
        raise GuidelineConfigError(f"{path}: {cid} cites undefined evidence {unknown_evidence}")
    unknown_reasons = [r for r in cfg.override_reasons if r not in parsed.override_reasons.codes]
    if unknown_reasons:
        raise GuidelineConfigError(f"{path}: {cid} names undefined override reasons {unknown_reasons}")


def _check_standard_reasons(reasons: OverrideReasons, path: Path) -> None:
    """Every local override reason maps to one HL7 non-adherence reason code, and only known codes."""
    standard = non_adherence_codes().display
    unknown_local = sorted(set(reasons.standard) - set(reasons.codes))
    unmapped = sorted(set(reasons.codes) - set(reasons.standard))
    bad = sorted(f"{local} = {code!r}" for local, code in reasons.standard.items() if code not in standard)
    for problem, items in (("maps undefined override reasons", unknown_local),
                           ("has override reasons without a standard code", unmapped),
                           ("names codes outside the non-adherence reason code system", bad)):
        if items:
            raise GuidelineConfigError(f"{path}: [override_reasons.standard] {problem}: {items}")


def _templates(cfg: CriterionConfig) -> list[tuple[str, str]]:
    out = [("summary", cfg.summary), ("detail", cfg.detail)]
    for key, text in cfg.suggestions.items():
        out += [(f"suggestions.{key}.label", text.label), (f"suggestions.{key}.description", text.description)]
    return out


def _check_placeholders(cid: str, field: str, template: str, values: dict[str, Any], path: Path) -> None:
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    missing = names - set(values)
    if missing:
        raise GuidelineConfigError(f"{path}: {cid} {field} uses unknown placeholders {sorted(missing)}")
