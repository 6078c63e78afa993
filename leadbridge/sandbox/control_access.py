"""Who may use the control plane (`/__sandbox__/*`: reset the org, inject faults, set the
clock, read any record without a login).

On a loopback address only this machine can reach it, and it stays open, as tests and
`make run` expect. Bound to any other address (`--host 0.0.0.0`, a LAN address) anyone who
can reach the port could wipe the org, so a token is required in the `X-Sandbox-Token`
header: the configured one (`SandboxConfig.control_token`, `--control-token`, env
`LEADBRIDGE_SANDBOX_CONTROL_TOKEN`) or else a random one, written to `credentials.json`
(owner-only) as `control_token` and never printed. A warning says where to find it.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets

from .dispatch import Reply

logger = logging.getLogger(__name__)
TOKEN_HEADER = "x-sandbox-token"


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def control_token_for(host: str, configured: str | None) -> str | None:
    """The token the control plane requires when bound to `host` (None: open)."""
    if configured:
        return configured
    if is_loopback(host):
        return None
    return secrets.token_urlsafe(32)


def warn_if_exposed(host: str, token: str | None, credentials_file: str) -> str | None:
    """The warning to show when the control plane is reachable beyond this machine."""
    if token is None or is_loopback(host):
        return None
    message = (
        f"the sandbox listens on {host}, beyond this machine: its control plane "
        f"(/__sandbox__/) requires the header X-Sandbox-Token; the token is "
        f"`control_token` in {credentials_file}"
    )
    logger.warning(message)
    return message


def refused(headers: dict[str, str], token: str | None) -> Reply | None:
    """A 401 reply when `token` is required and the request lacks it; None when allowed."""
    if token is None:
        return None
    given = headers.get(TOKEN_HEADER, "")
    if secrets.compare_digest(given.encode(), token.encode()):
        return None
    body = [
        {
            "errorCode": "INVALID_AUTH_HEADER",
            "message": "the control plane requires the X-Sandbox-Token header "
            "(control_token in the sandbox's credentials.json)",
        }
    ]
    return Reply(status=401, body=body)
