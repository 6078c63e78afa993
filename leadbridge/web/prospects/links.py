"""Links from a prospect to its record in the Salesforce org."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
SANDBOX_RECORDS = "/sandbox/records/"


def record_url(login_url: str | None, crm_id: str | None) -> str | None:
    """The record's page in the org: for the bundled sandbox (served on this machine) its
    record page; for a real org `https://<my domain>/<id>`, which opens the record in
    Lightning or Classic after sign-in."""
    if not login_url or not crm_id:
        return None
    parts = urlsplit(login_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    origin = f"{parts.scheme}://{parts.netloc}"
    if parts.hostname in LOOPBACK:
        return origin + SANDBOX_RECORDS + quote(crm_id, safe="")
    return f"{origin}/{quote(crm_id, safe='')}"
