"""Where the service may open outbound connections: one HTTP session factory for FHIR and JWKS fetches.

Two checks, both needed:
- on the URL, before any request: https only (plain http to a loopback host only when the operator
  allowed it), and never a link-local or cloud metadata address or host name, even if allow-listed;
- at connect time, on every address the host name resolves to, so a DNS answer pointing an allowed
  name at the metadata service (or at loopback) is refused before a socket is opened.
Private ranges (10/8, 172.16/12, 192.168/16) stay allowed: hospital FHIR servers live there, and
the exact-origin allow-list is what decides which ones are called.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_origin(url: str) -> str | None:
    """`scheme://host[:port]` in lower case without default port, or None if `url` has no origin."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    suffix = f":{port}" if port and port != DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{host}{suffix}"


METADATA_HOSTS = frozenset({"metadata", "metadata.google.internal", "metadata.goog", "instance-data",
                            "instance-data.ec2.internal"})
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "168.63.129.16"))
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})
THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # Linux connects 0.x.x.x to the local host


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_loopback_host(host: str) -> bool:
    address = _address(host)
    return address.is_loopback if address is not None else host.lower().rstrip(".") in LOOPBACK_NAMES


def refused_address(ip: str, allow_loopback: bool) -> str | None:
    """Why an outbound connection to `ip` is refused, or None when it may be opened."""
    address = _address(ip)
    if address is None:
        return "not an IP address"
    if address in METADATA_ADDRESSES:
        return "cloud metadata address"
    if address.is_link_local:
        return "link-local address"
    if address.is_loopback and not allow_loopback:
        return "loopback address"
    if address.is_unspecified or address.is_multicast or address.is_reserved or address in THIS_NETWORK:
        return "unroutable address"
    return None


def refused_url(url: str, allow_http_loopback: bool = False) -> str | None:
    """Why `url` may never be called, whatever the allow-list says; None when it may be."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return "not a URL"
    if not host:
        return "no host"
    if parts.username is not None or parts.password is not None:
        return "credentials in the URL"
    if parts.scheme not in ("http", "https"):
        return "not http(s)"
    if host in METADATA_HOSTS:
        return "cloud metadata host"
    loopback = is_loopback_host(host)
    if parts.scheme == "http" and not (loopback and allow_http_loopback):
        return "plain http (allowed for loopback hosts only, with CDS_FHIR_ALLOW_HTTP_LOOPBACK)"
    if loopback and not allow_http_loopback:
        return "loopback host"
    if _address(host) is not None:
        return refused_address(host, allow_http_loopback)
    return None


def _guarded(base: type[HTTPConnection], allow_loopback: bool) -> type[HTTPConnection]:
    class Guarded(base):  # type: ignore[valid-type,misc]
        def _new_conn(self) -> socket.socket:
            try:
                infos = socket.getaddrinfo(self._dns_host, self.port, 0, socket.SOCK_STREAM)
            except socket.gaierror as exc:
                raise NameResolutionError(self.host, self, exc) from exc
            reasons = {info[4][0]: refused_address(str(info[4][0]), allow_loopback) for info in infos}
            allowed = [ip for ip, why in reasons.items() if why is None]
            if not allowed:
                raise NewConnectionError(self, f"refused: {self.host} resolves to a "
                                               f"{next(iter(reasons.values()), 'missing address')}")
            error: OSError | None = None
            for ip in allowed:
                try:
                    return urllib3_connection.create_connection(
                        (str(ip), self.port), self.timeout, source_address=self.source_address,
                        socket_options=self.socket_options)
                except TimeoutError as exc:
                    raise ConnectTimeoutError(self, f"Connection to {self.host} timed out") from exc
                except OSError as exc:
                    error = exc
            raise NewConnectionError(self, f"Failed to establish a new connection: {error}")

    Guarded.__name__ = f"Guarded{base.__name__}"
    return Guarded


@cache
def _pool_classes(allow_loopback: bool) -> dict[str, type[Any]]:
    http_conn, https_conn = _guarded(HTTPConnection, allow_loopback), _guarded(HTTPSConnection, allow_loopback)
    http_pool = type("GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn})
    https_pool = type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn})
    return {"http": http_pool, "https": https_pool}


class GuardedAdapter(HTTPAdapter):
    def __init__(self, allow_loopback: bool = False, **kwargs: Any):
        self.allow_loopback = allow_loopback
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.allow_loopback)


def guarded_session(allow_loopback: bool = False) -> requests.Session:
    """A session that follows no redirect, reads no proxy or .netrc from the environment, and only
    connects to addresses `refused_address` accepts."""
    session = requests.Session()
    session.trust_env = False
    session.max_redirects = 0
    adapter = GuardedAdapter(allow_loopback=allow_loopback, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
