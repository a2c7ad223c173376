"""Who may read the stats port: anyone on loopback, or holders of the configured token.

Binding the stats server to a non-loopback address without a token is refused:
the stats reveal teams, projects, sessions and spend. With a token set, every
request must carry ``Authorization: Bearer <token>`` (or HTTP Basic with the
token as password, so a browser can open the dashboard); the comparison takes
constant time.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import os

TOKEN_ENV = "TRIMLINE_STATS_TOKEN"


class AccessError(ValueError):
    pass


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name could resolve anywhere


def resolve_token(option: str | None) -> str | None:
    """The configured token: the option, else ``$TRIMLINE_STATS_TOKEN``; blank is none."""
    token = (option or os.environ.get(TOKEN_ENV) or "").strip()
    return token or None


def require_safe_binding(host: str, token: str | None) -> None:
    if not is_loopback(host) and not token:
        raise AccessError(
            f"the stats endpoint would listen on {host}, beyond loopback, without a token:"
            f" set --stats-token (option trimline_stats_token) or ${TOKEN_ENV}"
        )


def authorized(header: str | None, token: str | None) -> bool:
    if token is None:
        return True
    if not header:
        return False
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "basic":
        try:
            value = base64.b64decode(value, validate=True).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return False
    elif scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.encode(), token.encode())
