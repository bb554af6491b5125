"""A bare Flask endpoint that answers every POST with fixed bytes, served exactly like `serve`.

The HTTP benchmark runs it beside the real service to show what the service costs above Flask,
gunicorn and the network stack. Run: python bench/bare_app.py RESPONSE_FILE PORT WORKERS THREADS
"""

from __future__ import annotations

import sys
from pathlib import Path

from flask import Flask, Response, request

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cds_service.server import serve  # noqa: E402


def create(body: bytes) -> Flask:
    app = Flask("bare")

    @app.post("/cds-services/<service_id>")
    def answer(service_id: str) -> Response:
        request.get_data()
        return Response(body, mimetype="application/json")

    return app


if __name__ == "__main__":
    response_file, port, workers, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    payload = Path(response_file).read_bytes()
    serve("127.0.0.1", port, workers, threads, app_factory=lambda: create(payload))
