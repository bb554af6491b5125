"""What authentication costs a hook call: server CPU per in-process call (a WSGI call, no network) with
authentication off, and with a fresh RS384 or ES384 token on every call (signature, claims, and the jti
replay check, a write to the service database).

Run: python bench/bench_auth.py [--calls 1500] [--rounds 2]
SQLite audit store in a temporary instance folder; tokens are minted before timing starts. The three
variants run in turns, `--rounds` times, so drift of the machine's speed hits them alike.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from werkzeug.test import EnvironBuilder  # noqa: E402

from bench.workloads import TYPICAL  # noqa: E402
from cds_service import create_app  # noqa: E402
from cds_service.jsonutil import dumps  # noqa: E402
from tests.jwt_helpers import BASE, ISS, SIGN_PATH, SigningKey, jwks, mint, new_key  # noqa: E402

WARMUP = 200


def cpu_per_call_us(key: SigningKey | None, keys: list[SigningKey], calls: int) -> float:
    settings: dict[str, Any] = {"instance_path": tempfile.mkdtemp(prefix="hamstring-auth-"),
                                "auth_required": key is not None, "public_base_url": BASE, "log_level": "WARNING"}
    if key is not None:
        settings["auth"] = {"issuers": [{"iss": ISS, "jwks": jwks(*keys)}]}
    app = create_app(settings)
    body = dumps(TYPICAL)
    environs = []
    for _ in range(calls + WARMUP):
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Authorization"] = f"Bearer {mint(key)}"  # a fresh jti on every call, as EHRs send
        environs.append(EnvironBuilder(path=SIGN_PATH, method="POST", data=body, headers=headers,
                                       base_url=BASE).get_environ())

    def start_response(status: str, *_: Any) -> None:
        assert status.startswith("200"), status

    def call(environ: dict[str, Any]) -> None:
        environ["wsgi.input"] = io.BytesIO(body)
        b"".join(app(environ, start_response))

    for environ in environs[:WARMUP]:
        call(environ)
    started = time.process_time()
    for environ in environs[WARMUP:]:
        call(environ)
    app.extensions["cds"].store.flush()  # the writer thread's work is part of each call's cost
    cpu = time.process_time() - started
    app.extensions["cds"].store.close()
    return cpu / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    es, rs = new_key("ES384", "es-1"), new_key("RS384", "rs-1")
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the service's JSON log lines are not the result
    for round_ in range(1, args.rounds + 1):
        off = cpu_per_call_us(None, [es, rs], args.calls)
        with_rs = cpu_per_call_us(rs, [es, rs], args.calls)
        with_es = cpu_per_call_us(es, [es, rs], args.calls)
        print(f"round {round_}: CPU per call: authentication off {off:5.0f} us; RS384 {with_rs:5.0f} us "
              f"(+{with_rs - off:.0f}); ES384 {with_es:5.0f} us (+{with_es - off:.0f})", file=sys.__stdout__)


if __name__ == "__main__":
    main()
