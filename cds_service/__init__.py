"""hamstring-rehab-cds: a CDS Hooks 2.0 service for hamstring pain during physical therapy."""

from __future__ import annotations

from typing import Any


def create_app(overrides: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    from cds_service.app import create_app as factory

    return factory(overrides, **kwargs)


__all__ = ["create_app"]
