"""`hamstring-cds sandbox load | call`: load sample patients into a FHIR server, then act as an EHR.

`call` runs discovery, renders the service's prefetch templates against the FHIR server, signs the
call with the local development issuer (when the service requires authentication) and prints the
cards as a clinician would read them (`--json` for the raw response).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from cds_service.sandbox import CdsClient, FhirEndpoint, SandboxError, describe_cards, hook_context

Handler = Callable[[argparse.Namespace], int]
DEFAULT_PATIENTS = Path("examples/patients")


def register(commands: Any) -> dict[str, Handler]:
    sandbox = commands.add_parser("sandbox", help="load sample patients into a FHIR server; act as an EHR")
    actions = sandbox.add_subparsers(dest="sandbox_command", required=True)

    load = actions.add_parser("load", help="load the sample patients (transaction bundles) into a FHIR server")
    load.add_argument("--fhir-server", required=True, help="FHIR base URL, e.g. http://127.0.0.1:8090/fhir")
    load.add_argument("--token", help="bearer token for the FHIR server")
    load.add_argument("--dir", type=Path, default=DEFAULT_PATIENTS, help="folder of *.json transaction bundles")
    load.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the server to answer")

    call = actions.add_parser("call", help="call the service for one patient, as an EHR would")
    call.add_argument("--fhir-server", required=True)
    call.add_argument("--patient", required=True, help="Patient id on the FHIR server")
    call.add_argument("--hook", required=True, choices=("order-sign", "order-select", "patient-view"))
    call.add_argument("--draft-order", type=Path, help="a draft order (resource or Bundle) for order hooks")
    call.add_argument("--service-url", default="http://127.0.0.1:8080", help="base URL of the CDS service")
    call.add_argument("--token", help="bearer token for the FHIR server, sent as fhirAuthorization")
    call.add_argument("--prefetch", default="full",
                      help="full, none (the service fetches everything) or partial:KEY,KEY (those left out)")
    call.add_argument("--issuer-dir", type=Path, default=Path("instance/dev-issuer"),
                      help="development issuer that signs the call (skipped when the folder does not exist)")
    call.add_argument("--json", action="store_true", help="print the raw JSON response")
    return {"sandbox": run}


def run(args: argparse.Namespace) -> int:
    try:
        return run_load(args) if args.sandbox_command == "load" else run_call(args)
    except requests.ConnectionError as exc:  # requests' own text is a screenful about connection pools
        sent = exc.request.url if exc.request is not None else None
        url = sent.decode() if isinstance(sent, bytes) else sent or "the server"
        print(f"hamstring-cds sandbox: nothing answers at {url}: start it (the service: ./scripts/serve), or name "
              "the right one (--service-url, --fhir-server)", file=sys.stderr)
        return 1
    except (SandboxError, requests.RequestException, OSError, ValueError) as exc:
        print(f"hamstring-cds sandbox: {exc}", file=sys.stderr)
        return 1


def run_load(args: argparse.Namespace) -> int:
    bundles = patient_bundles(args.dir)  # before waiting for the server: a wrong folder fails at once
    fhir = FhirEndpoint(args.fhir_server, args.token)
    wait_for(f"{args.fhir_server.rstrip('/')}/metadata", args.wait)
    total = 0
    for path, bundle in bundles:
        count = fhir.load(bundle)
        total += count
        print(f"loaded {path.name}: {count} resources")
    print(f"loaded {len(bundles)} bundles ({total} resources) from {args.dir} into {args.fhir_server}")
    return 0


def patient_bundles(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The transaction bundles of `folder` (*.json but index.json and *.draft.json); a SandboxError,
    saying what is wrong, when there are none or a file is not one."""
    where = ("the sample patients are in examples/patients of a checkout of the repository (not in the "
             "wheel or the container image): run from the checkout, or pass --dir")
    if not folder.is_dir():
        raise SandboxError(f"no folder {folder}: {where}")
    paths = sorted(p for p in folder.glob("*.json") if not p.name.endswith(".draft.json") and p.name != "index.json")
    if not paths:
        raise SandboxError(f"{folder} has no transaction bundles (*.json besides index.json and *.draft.json): "
                           f"{where}")
    bundles = []
    for path in paths:
        try:
            bundle = json.loads(path.read_text())
        except ValueError as exc:
            raise SandboxError(f"{path} is not JSON: {exc}") from None
        if not (isinstance(bundle, dict) and bundle.get("resourceType") == "Bundle"
                and bundle.get("type") in ("transaction", "batch")):
            raise SandboxError(f"{path} is not a transaction Bundle: --dir must name a folder of sample patients "
                               "such as examples/patients")
        bundles.append((path, bundle))
    return bundles


def run_call(args: argparse.Namespace) -> int:
    draft = json.loads(args.draft_order.read_text()) if args.draft_order else None
    client = CdsClient(args.service_url, FhirEndpoint(args.fhir_server, args.token), sign=signer(args.issuer_dir))
    context = hook_context(args.hook, args.patient, client.user_id, draft)
    response = client.call(args.hook, context, mode=args.prefetch)
    body = response.json()
    if args.json or response.status_code != 200:
        print(json.dumps(body, indent=2))
    else:
        print(describe_cards(body))
    return 0 if response.status_code == 200 else 1


def signer(folder: Path) -> Callable[[str], str] | None:
    if not (folder / "issuer.json").exists():
        return None
    from cds_service.auth.devkeys import mint_dev_token

    return lambda aud: mint_dev_token(aud, folder)


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise SandboxError(f"{url} did not answer within {seconds:.0f} s")
        time.sleep(1)
