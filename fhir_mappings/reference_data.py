"""Reference data the mappers read at run time, loaded and checked once when the service starts.

Concept sets (`terminology/*.json`), the analgesic product table, the dosing frequencies, the order templates
and the ConText rules that read free text (`assertion/context-rules.json`, whose spaCy pipeline is built here,
once) are data files beside the code. A file missing from an installation (a wheel built without it) or made
invalid by an edit must stop `serve`, the app factory and `evaluate` with the file's name, never fail inside a
request: `check_reference_data()` reads each one through the loader the mappers use, and validates its shape
with a small model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fhir_mappings import (
    analgesics,
    dosing_frequency,
    order_edits,
    session_rates,
    stated_durations,
    terminology,
    text_assertion,
)


class ReferenceDataError(RuntimeError):
    """A reference data file is missing or invalid; the message names the file and what is wrong."""


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class _ConceptFilter(_Open):
    op: str
    value: str = Field(min_length=1)


class _Include(_Open):
    system: str = Field(min_length=1)
    concept: list[dict[str, Any]] = []
    filter: list[_ConceptFilter] = []


class _Compose(_Open):
    include: list[_Include]


class _TextAssertion(_Open):
    stillCounts: list[str] = []


class _TextTypos(_Open):
    words: list[str] = Field(min_length=1)
    why: str = Field(min_length=1)


class ConceptSetFile(_Open):
    resourceType: Literal["ValueSet"]
    id: str = Field(min_length=1)
    compose: _Compose
    textPatterns: list[str] = []
    textAssertion: _TextAssertion = _TextAssertion()
    textTypos: _TextTypos | None = None
    neutralWords: list[str] = []


class _RuleMetadata(_Open):
    source: str = Field(min_length=1)
    why: str = Field(min_length=1)
    before: int | None = Field(default=None, ge=0)


class _ContextRule(_Open):
    literal: str = Field(min_length=1)
    category: str = Field(min_length=1)
    direction: Literal["FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"]
    allowed_types: list[str] | None = None
    excluded_types: list[str] | None = None
    metadata: _RuleMetadata


class ContextRules(_Open):
    sources: dict[str, str] = Field(min_length=1)
    notAffirmed: list[str] = Field(min_length=1)
    replacesDefaultRules: list[str] = []
    sentenceEnds: list[str] = Field(min_length=1)
    terminatingTypes: dict[str, list[str]] = {}
    context_rules: list[_ContextRule] = Field(min_length=1)


class _Ingredient(_Open):
    codes: dict[str, str]
    names: list[str] = Field(min_length=1)


class _Product(_Open):
    ingredient: str


class _Routes(_Open):
    oral: list[str] = Field(min_length=1)
    local: list[str] = Field(min_length=1)


class AnalgesicTable(_Open):
    system: str = Field(min_length=1)
    ingredients: dict[str, _Ingredient] = Field(min_length=1)
    products: dict[str, _Product]
    excludedProducts: dict[str, dict[str, Any]]
    excludedText: list[str]
    routes: _Routes


class DosingFrequencies(_Open):
    system: str = Field(min_length=1)
    perDay: dict[str, float] = Field(min_length=1)
    textPerDay: dict[str, float] = Field(min_length=1)


class _Template(_Open):
    resourceType: str = Field(min_length=1)


class OrderTemplates(_Open):
    templates: dict[str, _Template] = Field(min_length=1)


def check_reference_data() -> None:
    """Load and validate every reference data file; ReferenceDataError names the first bad one."""
    rules = _validated(text_assertion.RULES_FILE, ContextRules)
    _check_context_rules(rules)
    for name in terminology.CONCEPT_SETS:
        path = terminology.TERMINOLOGY_DIR / f"{name}.json"
        data = _validated(path, ConceptSetFile)
        if data.id != name:
            raise ReferenceDataError(f"{path}: its id is '{data.id}', not '{name}'")
        odd = sorted(set(data.textAssertion.stillCounts) - set(rules.notAffirmed))
        if odd:
            raise ReferenceDataError(f"{path}: textAssertion.stillCounts {odd} are not categories the rules file "
                                     f"leaves out ({text_assertion.RULES_FILE.name} notAffirmed)")
        _loaded(path, lambda n=name: terminology.concept_set(n).prepare())  # type: ignore[misc]
    _loaded(text_assertion.RULES_FILE, text_assertion.load)
    table = _validated(analgesics.PRODUCTS_FILE, AnalgesicTable)
    unknown = sorted(p for p, product in table.products.items() if product.ingredient not in table.ingredients)
    if unknown:
        raise ReferenceDataError(f"{analgesics.PRODUCTS_FILE}: products {unknown} name an ingredient not listed")
    _loaded(analgesics.PRODUCTS_FILE, analgesics.product_table)
    _validated(dosing_frequency.FREQUENCIES_FILE, DosingFrequencies)
    _loaded(dosing_frequency.FREQUENCIES_FILE, dosing_frequency.frequency_table)
    _validated(order_edits.ORDER_TEMPLATES_FILE, OrderTemplates)
    _loaded(order_edits.ORDER_TEMPLATES_FILE, order_edits.order_templates)


def _check_context_rules(rules: ContextRules) -> None:
    """Every rule names a listed source and only concept sets that exist (a misspelt id would never apply)."""
    path, known = text_assertion.RULES_FILE, {*terminology.CONCEPT_SETS, stated_durations.DURATION_LABEL,
                                             session_rates.INTERVAL_LABEL}
    for rule in rules.context_rules:
        unnamed = [s.strip() for s in rule.metadata.source.split(";") if s.strip() not in rules.sources]
        unknown = sorted((set(rule.allowed_types or []) | set(rule.excluded_types or [])) - known)
        if unnamed or unknown:
            raise ReferenceDataError(f"{path}: rule '{rule.literal}' names unknown sources {unnamed} or concept "
                                     f"sets {unknown}")


def _validated(path: Path, model: type[_Open]) -> Any:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReferenceDataError(f"{path}: reference data file missing from this installation") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReferenceDataError(f"{path}: cannot read reference data: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors()[:3])
        raise ReferenceDataError(f"{path}: invalid reference data: {problems}") from None


def _loaded(path: Path, loader: Callable[[], Any]) -> None:
    """Run the mappers' own loader, so what start-up checked is what requests will read."""
    try:
        loader()
    except Exception as exc:  # noqa: BLE001 - any failure to load is reported with the file's name
        raise ReferenceDataError(f"{path}: cannot load reference data: {exc}") from None
