"""Salesforce's limit on the size of a request's URI and headers, checked before anything else.

Salesforce documents (Help article 000386264, "Maximum number of rows returned by SOQL queries
over the REST API") that the URI and headers of a REST call together may take at most 16,384
bytes: a URI longer than that is answered 414 URI Too Long, and a request whose URI and headers
together pass it 431 Request Header Fields Too Large. The refusal comes from Salesforce's front
end, before the API sees the request, so it is not counted, has no `errorCode`, and its body is
a short HTML page (the documents give no body: ours names the limit). The control plane is ours,
not Salesforce's, and is not limited.
"""

from __future__ import annotations

from collections.abc import Iterable

from .dispatch import Reply

MAX_REQUEST_HEAD_BYTES = 16_384  # URI, and URI plus headers
_PAGE = (
    "<html><head><title>{status} {reason}</title></head>"
    "<body><h1>{reason}</h1><p>{why}</p></body></html>"
)


def request_uri(raw_path: bytes, query_string: bytes) -> bytes:
    """The request target as sent: path and query string, percent-encoded."""
    return raw_path + (b"?" + query_string if query_string else b"")


def oversized(uri: bytes, headers: Iterable[tuple[bytes, bytes]]) -> Reply | None:
    """The 414 or 431 reply for a request over the limit; None when it fits."""
    if len(uri) > MAX_REQUEST_HEAD_BYTES:
        why = (
            f"The request URI is {len(uri):,} bytes long; at most "
            f"{MAX_REQUEST_HEAD_BYTES:,} are accepted."
        )
        return _page(414, "URI Too Long", why)
    size = len(uri) + sum(len(name) + len(value) + 4 for name, value in headers)  # ": ", CRLF
    if size > MAX_REQUEST_HEAD_BYTES:
        why = (
            f"The request URI and headers take {size:,} bytes; at most "
            f"{MAX_REQUEST_HEAD_BYTES:,} are accepted."
        )
        return _page(431, "Request Header Fields Too Large", why)
    return None


def _page(status: int, reason: str, why: str) -> Reply:
    body = _PAGE.format(status=status, reason=reason, why=why)
    return Reply(status=status, body=body, content_type="text/html; charset=utf-8")
