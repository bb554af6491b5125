"""Prefetch resolution: the CDS Hooks 2.0 decision table, one key at a time.

- key present with data: used; searchset `next` links are followed (same origin as fhirServer only,
  up to `fhir_max_pages` pages); a next link that cannot be followed makes the key unobtainable,
  because an incomplete list could hide what a criterion looks for;
- key present and `null`: the EHR has no data; nothing is fetched;
- key absent, an OperationOutcome, a Bundle with an outcome entry (`search.mode=outcome`) reporting an
  error, or not a resource: fetched by rendering our own template against fhirServer with the
  fhirAuthorization token (outcome entries with only warnings or information sit next to usable data);
- all fetches of one call run in parallel under one time budget; a key that still has no data is
  a 412 naming it. A fhirServer off the allow-list is never contacted.
"""

from __future__ import annotations

import logging
import re
import time
from concurrent.futures import FIRST_EXCEPTION, Executor, Future, wait
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin

from cds_service.errors import DataUnavailable
from cds_service.fhir_client import FhirClient, FhirError
from cds_service.netguard import normalize_origin, refused_url

log = logging.getLogger(__name__)
TOKEN = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")
USER_TOKENS = {"userPractitionerId": "Practitioner", "userPractitionerRoleId": "PractitionerRole",
               "userPatientId": "Patient", "userRelatedPersonId": "RelatedPerson"}


@dataclass
class Resolution:
    values: dict[str, Any]
    fetched: dict[str, list[str]] = field(default_factory=dict)  # key -> paths queried (no tokens)


ALLOWLIST_FORM = ("CDS_FHIR_SERVER_ALLOWLIST (comma-separated origins scheme://host[:port], no path, "
                  "e.g. https://fhir.example.org)")


def refusal(url: str, client: FhirClient) -> str:
    """Why a key is not fetched from `url` (on fhirServer's origin), naming that origin: the caller sent it."""
    origin = normalize_origin(url)
    if origin is None:
        return "not in prefetch and fhirServer is not an http(s) URL, so not on the allow-list"
    why = refused_url(url, client.allow_http_loopback)
    if origin in client.allowlist:
        return f"not in prefetch and fhirServer {origin} is refused: {why}"
    never = f", and is refused even when listed: {why}" if why else ""
    return (f"not in prefetch and fhirServer is not on the allow-list: its origin {origin} is not one of "
            f"the origins in {ALLOWLIST_FORM}{never}")


def render_template(template: str, context: dict[str, Any]) -> str | None:
    """The template with its tokens filled in, or None when a token has no value in this context."""
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1)
        if name.startswith("context."):
            raw = context.get(name.removeprefix("context."))
        else:
            user_type, _, user_id = str(context.get("userId", "")).partition("/")
            raw = user_id if USER_TOKENS.get(name) == user_type else None
        if not isinstance(raw, str | int) or isinstance(raw, bool) or raw == "":
            missing = True
            return ""
        return quote(str(raw), safe="")

    rendered = TOKEN.sub(value, template)
    return None if missing else rendered


def is_usable(value: Any) -> bool:
    """A resource that is data: not an OperationOutcome, nor a Bundle with an OperationOutcome entry
    (search.mode=outcome) reporting an error. Warnings and information next to data (or alone: nothing
    matched) leave the data usable; parse.resources_in skips the outcome entries."""
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        return False
    if value["resourceType"] == "OperationOutcome":
        return False
    if value["resourceType"] == "Bundle":
        entries = value.get("entry")
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, dict) and reports_failure(entry):
                return False
    return True


def reports_failure(entry: dict[str, Any]) -> bool:
    """A Bundle entry that is an outcome with an error or fatal issue, or one of unknown severity."""
    search, resource = entry.get("search"), entry.get("resource")
    is_outcome = (isinstance(search, dict) and search.get("mode") == "outcome") or (
        isinstance(resource, dict) and resource.get("resourceType") == "OperationOutcome")
    if not is_outcome:
        return False
    issues = resource.get("issue") if isinstance(resource, dict) else None
    if isinstance(issues, dict):  # one object where R4 has an array (vendor shape)
        issues = [issues]
    if not isinstance(issues, list) or not issues:
        return True
    return any(not isinstance(i, dict) or i.get("severity") not in ("warning", "information") for i in issues)


def next_link(bundle: dict[str, Any]) -> str | None:
    if bundle.get("resourceType") != "Bundle":
        return None
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return link["url"]
    return None


class PrefetchResolver:
    def __init__(self, client: FhirClient, executor: Executor, budget_seconds: float, max_pages: int,
                 optional: frozenset[str] = frozenset()):
        """`optional`: keys answered without their data (logged) when it cannot be had, instead of a 412."""
        self.client = client
        self.executor = executor
        self.budget_seconds = budget_seconds
        self.max_pages = max_pages
        self.optional = optional

    def resolve(self, templates: dict[str, str], context: dict[str, Any], prefetch: dict[str, Any] | None,
                fhir_server: str | None, token: str | None, narrowed_to: frozenset[str] = frozenset()) -> Resolution:
        """The prefetch values, missing keys fetched from `fhir_server` (only when it is on the allow-list,
        and among `narrowed_to` when that is given: the FHIR servers of the caller's issuer)."""
        provided = prefetch or {}
        resolution = Resolution(values={})
        jobs: dict[str, tuple[str | None, dict[str, Any] | None]] = {}
        for key, template in templates.items():
            value = provided.get(key, ...)
            if key in provided and value is None:
                resolution.values[key] = None
            elif is_usable(value):
                resolution.values[key] = value
                if next_link(value):
                    jobs[key] = (next_link(value), value)
            else:
                rendered = render_template(template, context)
                jobs[key] = (urljoin(fhir_server.rstrip("/") + "/", rendered) if fhir_server and rendered
                             else None, None)
        if jobs:
            self._run(jobs, fhir_server, token, resolution, narrowed_to)
        return resolution

    def _run(self, jobs: dict[str, tuple[str | None, dict[str, Any] | None]], fhir_server: str | None,
             token: str | None, resolution: Resolution, narrowed_to: frozenset[str] = frozenset()) -> None:
        deadline = time.monotonic() + self.budget_seconds
        failed: dict[str, str] = {}
        futures: dict[str, Future[Any]] = {}
        for key, (url, first_page) in jobs.items():
            if url is None:
                failed[key] = "not in prefetch and no fhirServer to fetch it from"
            elif first_page is not None and normalize_origin(url) != normalize_origin(fhir_server or ""):
                failed[key] = "prefetch is paged and its next link is not on fhirServer's origin"
            elif not self.client.is_allowed(url):
                failed[key] = refusal(url, self.client)
            elif narrowed_to and normalize_origin(url) not in narrowed_to:
                failed[key] = (f"not in prefetch and fhirServer is not one of the FHIR servers of the token's issuer: "
                               f"its origin {normalize_origin(url)} is not in the issuer's fhir_servers "
                               f"({', '.join(sorted(narrowed_to))})")
            else:
                futures[key] = self.executor.submit(self._fetch_pages, url, token, deadline, first_page,
                                                    fhir_server or "", resolution.fetched.setdefault(key, []))
        required = [f for key, f in futures.items() if key not in self.optional]
        if required:  # a required key that fails ends the wait; an optional one never does
            wait(required, timeout=max(0.0, deadline - time.monotonic()), return_when=FIRST_EXCEPTION)
        optional = [f for key, f in futures.items() if key in self.optional]
        if optional and not any(f.done() and f.exception() is not None for f in required):
            wait(optional, timeout=max(0.0, deadline - time.monotonic()))
        for key, future in futures.items():
            if not future.done():
                future.cancel()
                failed[key] = ("FHIR server did not answer within the time budget" if time.monotonic() >= deadline
                               else "not waited for: another key could not be obtained")
            elif future.exception() is not None:
                failed[key] = str(future.exception())
            else:
                resolution.values[key] = future.result()
        for key in sorted(failed.keys() & self.optional):
            log.debug("optional prefetch key %s read as no data: %s", key, failed.pop(key))
            resolution.values[key] = None
        if failed:
            keys_by_reason: dict[str, list[str]] = {}  # one reason, said once for all its keys
            for key in sorted(failed):
                keys_by_reason.setdefault(failed[key], []).append(key)
            detail = "; ".join(f"{', '.join(keys)}: {why}" for why, keys in keys_by_reason.items())
            raise DataUnavailable(f"Required data could not be obtained ({detail})", sorted(failed))

    def _fetch_pages(self, url: str, token: str | None, deadline: float, first_page: dict[str, Any] | None,
                     fhir_server: str, queried: list[str]) -> dict[str, Any]:
        origin = normalize_origin(fhir_server)
        pages = [first_page] if first_page is not None else []
        next_url: str | None = url
        while next_url and len(pages) < self.max_pages:
            if normalize_origin(next_url) != origin:
                raise FhirError("a next link points away from fhirServer's origin")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FhirError("FHIR server did not answer within the time budget")
            queried.append(next_url.removeprefix(fhir_server.rstrip("/")).split("?")[0])
            page = self.client.get_json(next_url, token, remaining, token_origin=fhir_server)
            if not is_usable(page):
                raise FhirError("FHIR server answered with an OperationOutcome")
            pages.append(page)
            next_url = next_link(page)
        return merge_pages(pages)


def merge_pages(pages: list[dict[str, Any]]) -> dict[str, Any]:
    if len(pages) == 1:
        return pages[0]
    entries = [e for page in pages for e in page.get("entry") or []]
    return {"resourceType": "Bundle", "type": "searchset", "entry": entries}
