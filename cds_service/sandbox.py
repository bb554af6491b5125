"""A small CDS client for people and tests: load sample patients into a FHIR server, then act as an EHR.

It does what the public CDS Hooks sandbox and the Da Vinci request generator were seen doing:
discovery, prefetch rendered from the service's own templates against the FHIR server (`POST
_search` first, `GET` as the fallback; keys that return nothing are left out), the hook call with
`fhirServer` and `fhirAuthorization`, and feedback. JWTs come from an injected `sign(aud)` function.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from cds_service.prefetch import render_template

Signer = Callable[[str], str]
PrefetchMode = str  # "full", "none", or "partial:<key>,<key>" (the listed keys are left out)


class SandboxError(Exception):
    pass


@dataclass
class FhirEndpoint:
    base: str
    token: str | None = None
    session: requests.Session = field(default_factory=requests.Session)

    def headers(self) -> dict[str, str]:
        out = {"Accept": "application/fhir+json"}
        if self.token:
            out["Authorization"] = f"Bearer {self.token}"
        return out

    def load(self, transaction: dict[str, Any]) -> int:
        """POST a transaction Bundle; returns the number of entries the server answered for."""
        response = self.session.post(self.base.rstrip("/"), json=transaction, timeout=60,
                                     headers={**self.headers(), "Content-Type": "application/fhir+json"})
        if response.status_code >= 300:
            raise SandboxError(f"loading failed: HTTP {response.status_code}: {response.text[:300]}")
        return len(response.json().get("entry", []))

    def query(self, relative: str) -> dict[str, Any] | None:
        """A rendered prefetch query: searches by POST _search (GET on failure), reads by GET."""
        path, _, query = relative.partition("?")
        url = f"{self.base.rstrip('/')}/{path}"
        if query and "/" not in path:
            response = self.session.post(f"{url}/_search", data=dict(parse_qsl(query)), headers=self.headers(),
                                         timeout=30)
            if response.status_code == 200:
                return response.json()
            response = self.session.get(f"{url}?{query}", headers=self.headers(), timeout=30)
        else:
            response = self.session.get(url, headers=self.headers(), timeout=30)
        return response.json() if response.status_code == 200 else None


@dataclass
class CdsClient:
    service_base: str
    fhir: FhirEndpoint
    sign: Signer | None = None
    session: requests.Session = field(default_factory=requests.Session)
    user_id: str = "Practitioner/sandbox-clinician"

    def _auth(self, url: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.sign(url)}"} if self.sign else {}

    def discover(self) -> dict[str, dict[str, Any]]:
        url = f"{self.service_base.rstrip('/')}/cds-services"
        response = self.session.get(url, headers={"Accept": "application/json", **self._auth(url)}, timeout=10)
        if response.status_code != 200:
            raise SandboxError(f"discovery failed: HTTP {response.status_code}")
        return {s["hook"]: s for s in response.json()["services"]}

    def prefetch(self, service: dict[str, Any], context: dict[str, Any], mode: PrefetchMode = "full") -> dict:
        skipped = set(mode.removeprefix("partial:").split(",")) if mode.startswith("partial:") else set()
        if mode == "none":
            return {}
        out: dict[str, Any] = {}
        for key, template in (service.get("prefetch") or {}).items():
            rendered = render_template(template, context)
            if key in skipped or rendered is None:
                continue
            value = self.fhir.query(rendered)
            if value is not None:
                out[key] = value
        return out

    def call(self, hook: str, context: dict[str, Any], mode: PrefetchMode = "full",
             send_token: bool = True) -> requests.Response:
        service = self.discover().get(hook)
        if service is None:
            raise SandboxError(f"the service offers no '{hook}' hook")
        url = f"{self.service_base.rstrip('/')}/cds-services/{service['id']}"
        body: dict[str, Any] = {"hook": hook, "hookInstance": str(uuid.uuid4()), "fhirServer": self.fhir.base,
                                "context": context, "prefetch": self.prefetch(service, context, mode)}
        if send_token and self.fhir.token:
            body["fhirAuthorization"] = {"access_token": self.fhir.token, "token_type": "Bearer",
                                         "expires_in": 300, "scope": "user/*.read", "subject": "hamstring-cds"}
        return self.session.post(url, json=body, timeout=30,
                                 headers={"Content-Type": "application/json", **self._auth(url)})

    def feedback(self, service_id: str, items: list[dict[str, Any]]) -> requests.Response:
        url = f"{self.service_base.rstrip('/')}/cds-services/{service_id}/feedback"
        return self.session.post(url, json={"feedback": items}, timeout=10,
                                 headers={"Content-Type": "application/json", **self._auth(url)})


def hook_context(hook: str, patient_id: str, user_id: str, draft_orders: dict[str, Any] | None) -> dict[str, Any]:
    context: dict[str, Any] = {"userId": user_id, "patientId": patient_id}
    if hook in ("order-sign", "order-select"):
        bundle = draft_orders or {"resourceType": "Bundle", "type": "collection", "entry": []}
        if bundle.get("resourceType") != "Bundle":
            bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": bundle}]}
        context["draftOrders"] = bundle
        if hook == "order-select":
            context["selections"] = [f"{e['resource']['resourceType']}/{e['resource']['id']}"
                                     for e in bundle.get("entry", [])]
    return context


def describe_cards(body: dict[str, Any]) -> str:
    """Cards as a clinician would read them, for the terminal."""
    cards = body.get("cards", [])
    if not cards:
        return "No cards: the orders follow the guideline (or the patient is outside its population)."
    lines = []
    for card in cards:
        topic = card.get("source", {}).get("topic", {}).get("code", "?")
        lines.append(f"[{card['indicator'].upper():8s}] {topic}  {card['summary']}")
        for suggestion in card.get("suggestions", []):
            lines.append(f"             suggestion: {suggestion['label']}")
    return "\n".join(lines)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
