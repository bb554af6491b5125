"""What each part of a signed order-sign call costs in CPU, in one process (no network): the libraries and the
service's own steps, so the HTTP figures of bench_restated.py can be read part by part.

Run: python bench/bench_signed_parts.py [--calls 1000] [--rounds 3]
Each part runs `--calls` times per round, the parts in turns, `--rounds` rounds; the median per part is printed.
SQLite audit store and jti file in a temporary instance folder, as `serve` runs on its embedded defaults; what
start-up built is frozen (gc.freeze), as in `serve`.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import jwt  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from bench.workloads import TYPICAL  # noqa: E402
from cds_service import create_app, jsonutil  # noqa: E402
from tests.jwt_helpers import BASE, ISS, SIGN_PATH, SIGN_URL, jwks, mint, new_key  # noqa: E402


def parts(calls: int) -> dict[str, Callable[[], Callable[[], Any]]]:
    """Each part: a function that prepares `calls` inputs and returns the step to time."""
    key = new_key("ES384", "es-1")
    public = key.private.public_key()
    body = jsonutil.dumps(TYPICAL)
    apps = {on: _app(on, key) for on in (False, True)}
    cds = apps[True].extensions["cds"]
    authenticator = apps[True].extensions["cds_auth"]

    def tokens() -> list[str]:
        return [mint(key) for _ in range(calls)]

    def verify_only() -> Callable[[], Any]:
        token = mint(key).encode()
        signing_input, _, signature = token.rpartition(b".")
        raw = jwt.utils.base64url_decode(signature)
        der = encode_dss_signature(int.from_bytes(raw[:48], "big"), int.from_bytes(raw[48:], "big"))
        return lambda: public.verify(der, signing_input, ec.ECDSA(hashes.SHA384()))

    def pyjwt_decode() -> Callable[[], Any]:
        pending = iter(tokens())
        return lambda: jwt.decode(next(pending), public, algorithms=["ES384"], audience=SIGN_URL, issuer=ISS)

    def authenticate() -> Callable[[], Any]:
        pending = iter(tokens())
        return lambda: authenticator.authenticate(f"Bearer {next(pending)}", SIGN_URL)

    def jti_check() -> Callable[[], Any]:
        jtis = iter(os.urandom(8).hex() for _ in range(calls))
        return lambda: cds.store.remember(ISS, next(jtis), time.time() + 300)

    def pipeline() -> Callable[[], Any]:
        return lambda: jsonutil.dumps(
            cds.pipeline.run("hamstring-rehab-order-sign", jsonutil.loads(body), date(2026, 11, 23)).body
        )

    def log_line() -> Callable[[], Any]:
        extra = {
            "request_id": "a" * 32,
            "method": "POST",
            "path": SIGN_PATH,
            "service": "x",
            "status": 200,
            "latency_ms": 2.5,
            "iss": ISS,
            "jti": "b" * 36,
            "tenant": None,
        }
        logger = logging.getLogger("cds_service.request")  # the service's JSON handler, writing to stderr (devnull)
        return lambda: logger.info("request", extra=extra)

    def wsgi(on: bool) -> Callable[[], Callable[[], Any]]:
        def prepare() -> Callable[[], Any]:
            environs = iter(_environ(body, f"Bearer {t}" if on else None) for t in tokens())
            return lambda: _call(apps[on], next(environs), body)

        return prepare

    return {
        "ES384 signature check alone (OpenSSL via cryptography)": verify_only,
        "PyJWT decode (base64, JSON, signature, claims)": pyjwt_decode,
        "jti replay check alone (SQLite upsert, own file)": jti_check,
        "authenticate(): header, key, PyJWT, claims, jti": authenticate,
        "pipeline, warm (parse, facts, 13 criteria, 7 cards, JSON out)": pipeline,
        "request log line (logging, JSON formatter, write)": log_line,
        "whole call through Flask, authentication off": wsgi(False),
        "whole call through Flask, ES384 token": wsgi(True),
    }


def _app(auth: bool, key: Any) -> Any:
    settings: dict[str, Any] = {
        "instance_path": tempfile.mkdtemp(prefix="hamstring-parts-"),
        "auth_required": auth,
        "public_base_url": BASE,
    }
    if auth:
        settings["auth"] = {"issuers": [{"iss": ISS, "jwks": jwks(key)}]}
    return create_app(settings)


def _environ(body: bytes, authorization: str | None) -> dict[str, Any]:
    headers = [("Content-Type", "application/json"), *([("Authorization", authorization)] if authorization else [])]
    return EnvironBuilder(path=SIGN_PATH, method="POST", data=body, headers=headers, base_url=BASE).get_environ()


def _call(app: Any, environ: dict[str, Any], body: bytes) -> None:
    environ["wsgi.input"] = io.BytesIO(body)
    b"".join(app(environ, lambda status, *_: None))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the service's own log lines are not the result
    table = parts(args.calls + 100)
    gc.freeze()  # as `serve` does after start-up: a full collection then walks only what calls create
    results: dict[str, list[float]] = {name: [] for name in table}
    for _ in range(args.rounds):
        for name, prepare in table.items():
            step = prepare()
            for _ in range(100):  # warm-up
                step()
            started = time.process_time()
            for _ in range(args.calls):
                step()
            results[name].append((time.process_time() - started) / args.calls * 1e6)
    for name, values in results.items():
        print(
            f"{name:66s} {statistics.median(values):7.0f} us  ({', '.join(f'{v:.0f}' for v in values)})",
            file=sys.__stdout__,
        )
    print(json.dumps({"rounds": args.rounds, "calls": args.calls}), file=sys.__stdout__)


if __name__ == "__main__":
    main()
