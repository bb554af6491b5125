"""Production WSGI server for `hamstring-cds serve`: gunicorn with threaded workers (keep-alive)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any], app_factory: Callable[[], Any] | None = None):
        self.options = options
        self.app_factory = app_factory
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        if self.app_factory is not None:
            return self.app_factory()
        from cds_service import create_app

        return create_app()


def serve(host: str, port: int, workers: int, threads: int, app_factory: Callable[[], Any] | None = None) -> None:
    """Run gunicorn in the foreground; `app_factory` lets benchmarks serve another app the same way."""
    _Gunicorn({
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "keepalive": 5,
        "timeout": 30,
        "graceful_timeout": 10,
        "limit_request_line": 8190,
        "accesslog": None,
        "preload_app": True,
    }, app_factory).run()
