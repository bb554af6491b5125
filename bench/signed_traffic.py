"""Signed traffic for the benchmarks: ES384 tokens minted ahead of time (one fresh jti each), a wrk script
that sends each token once, a keep-alive Python client for exact call counts, and what /proc says about a
gunicorn server (CPU of the whole process tree, memory of each worker). Loopback only.

Tokens are minted before a run so that minting (0.15 ms each) does not share the two cores with the server
while it is measured; each is sent once, as an EHR does, and a run that needs more than were minted wraps
around and is refused as a replay (counted as errors).
"""

from __future__ import annotations

import http.client
import itertools
import json
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization

LUA_SIGNED = """
local tokens, count, counter, body = {{}}, 0, 0, nil
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  local f = io.open("{body}", "rb")
  body = f:read("*a")
  f:close()
  local n = 0
  for line in io.lines("{tokens}") do
    if n % {threads} == id then
      count = count + 1
      tokens[count] = line
    end
    n = n + 1
  end
end
function request()
  counter = counter + 1
  local token = tokens[(counter - 1) % count + 1]
  return wrk.format("POST", nil, {{["Content-Type"] = "application/json",
                                   ["Authorization"] = "Bearer " .. token}}, body)
end
"""


class Minter:
    """Tokens of the development issuer in `folder` (key loaded once), each with a fresh jti."""

    def __init__(self, folder: Path, aud: str, lifetime_seconds: int = 900):
        meta = json.loads((folder / "issuer.json").read_text())
        self.key: Any = serialization.load_pem_private_key((folder / "private-key.pem").read_bytes(), None)
        self.iss, self.alg, self.aud, self.lifetime = meta["iss"], meta["alg"], aud, lifetime_seconds
        self.headers = {"kid": meta["kid"], "typ": "JWT"}

    def mint(self) -> str:
        now = int(time.time())
        claims = {"iss": self.iss, "aud": self.aud, "iat": now, "exp": now + self.lifetime, "jti": str(uuid.uuid4())}
        return jwt.encode(claims, self.key, algorithm=self.alg, headers=self.headers)

    def write(self, path: Path, count: int) -> Path:
        path.write_text("".join(self.mint() + "\n" for _ in range(count)))
        return path


def wrk_script(folder: Path, body: Path, tokens: Path, threads: int, delay_ms: int = 0) -> Path:
    """`delay_ms`: each connection waits so long after each answer (a paced client, below saturation)."""
    script = folder / f"signed-{tokens.stem}.lua"
    pacing = f"function delay()\n  return {delay_ms}\nend\n" if delay_ms else ""
    script.write_text(LUA_SIGNED.format(body=body, tokens=tokens, threads=threads) + pacing)
    return script


def run_wrk(url: str, script: Path, seconds: float, connections: int, threads: int) -> dict[str, float]:
    import re

    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", str(script), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lat = dict(re.findall(r"^\s+(50|90|99)%\s+([\d.]+\w+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": _ms(lat["50"]),
        "p90": _ms(lat["90"]),
        "p99": _ms(lat["99"]),
        "errors": (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0),
    }


def _ms(text: str) -> float:
    import re

    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def send(port: int, path: str, bodies: Iterator[bytes], minter: Minter, calls: int, connections: int) -> list[str]:
    """`calls` signed POSTs over `connections` keep-alive connections; returns the failures (empty: all 200)."""
    failures: list[str] = []
    lock = threading.Lock()
    remaining = itertools.count()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if next(remaining) >= calls:
                    break
                body, token = next(bodies), minter.mint()
            conn.request("POST", path, body, {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                with lock:
                    failures.append(f"HTTP {response.status}")
        conn.close()

    workers = [threading.Thread(target=client) for _ in range(connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return failures


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return sorted(int(p) for p in out.split())


def memory_mb(pid: int) -> dict[str, float]:
    """RSS, PSS and private memory of one process (smaps_rollup), in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) / 1024
    return {"rss": fields["Rss"], "pss": fields["Pss"], "private": fields["Private_Clean"] + fields["Private_Dirty"]}
