"""The sandbox org's minimal record pages, server-rendered HTML for people (no JavaScript):

- `GET /sandbox/records[?page=N]`: leads and contacts, newest first, 50 a page;
- `GET /sandbox/records/{id}`: one record's fields, a form to edit a few of them as a sales
  rep does (saved through the org's validated save path, so SystemModstamp moves and
  leadbridge's poll sees it), and a "Send to leadbridge" button: it opens the configured
  leadbridge's console page `GET /send-to-leadbridge?ids=ID` in a new tab, as a custom
  button on a Salesforce page layout does; a signed-in leadbridge user confirms there. The
  button never carries a token or anything secret: the page is shown to anyone;
- `POST /sandbox/records/{id}`: the edit form's target.

Independent of leadbridge: it knows the endpoint only by URL.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qsl, quote

from .backend import SandboxBackend
from .dispatch import Reply
from .exceptions import SalesforceError, not_found
from .org import SaveOptions

WEB_PREFIX = "/sandbox/records"
SEND_PATH = "/send-to-leadbridge"
PAGE_SIZE = 50
HTML_TYPE = "text/html; charset=utf-8"
EDITABLE = {
    "Lead": ("FirstName", "LastName", "Email", "Company", "Title", "Phone"),
    "Contact": ("FirstName", "LastName", "Email", "Title", "Phone"),
}
_STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}"
    "td,th{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left}"
    "form{margin:1em 0}.error{color:#b00}"
)


def handle(
    backend: SandboxBackend,
    method: str,
    path: str,
    query: dict[str, str],
    headers: dict[str, str],
    body: bytes,
) -> Reply:
    """Route a request under `/sandbox/records`."""
    rest = path[len(WEB_PREFIX) :].strip("/")
    if not rest and method in ("GET", "HEAD"):
        return _page(_list(backend, _page_number(query.get("page"))))
    if rest and "/" not in rest:
        if method in ("GET", "HEAD"):
            return _page(_record(backend, rest, query.get("error")))
        if method == "POST":
            return _save(backend, rest, body)
    raise not_found()


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and int(raw) > 0 else 1


def _list(backend: SandboxBackend, page: int) -> str:
    sql = (
        'SELECT "Id", \'Lead\', "Name", "Email", "CreatedDate" FROM "Lead" '
        'WHERE "IsDeleted" = 0 AND "IsConverted" = 0 UNION ALL '
        'SELECT "Id", \'Contact\', "Name", "Email", "CreatedDate" FROM "Contact" '
        'WHERE "IsDeleted" = 0 ORDER BY 5 DESC, 1 DESC LIMIT ? OFFSET ?'
    )
    with backend.db.lock:
        rows = backend.db.conn.execute(sql, (PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)).fetchall()
    lines = "".join(
        f'<tr><td><a href="{WEB_PREFIX}/{_e(row[0])}">{_e(row[2] or row[0])}</a></td>'
        f"<td>{_e(row[1])}</td><td>{_e(row[3] or '')}</td><td>{_e(row[4])}</td></tr>"
        for row in rows[:PAGE_SIZE]
    )
    pager = ""
    if page > 1:
        pager += f'<a href="{WEB_PREFIX}?page={page - 1}">Newer</a> '
    if len(rows) > PAGE_SIZE:
        pager += f'<a href="{WEB_PREFIX}?page={page + 1}">Older</a>'
    return (
        "<h1>Leads and contacts</h1><table><tr><th>Name</th><th>Type</th><th>Email</th>"
        f"<th>Created</th></tr>{lines}</table><p>{pager}</p>"
    )


def _record(backend: SandboxBackend, record_id: str, error: str | None) -> str:
    org = backend.org
    try:
        obj = org.object_for_id(record_id)
    except SalesforceError:
        raise not_found() from None
    if obj.name not in EDITABLE:
        raise not_found()
    record = org.retrieve(obj.name, record_id)
    fields = "".join(
        f"<tr><th>{_e(name)}</th><td>{_e('' if value is None else value)}</td></tr>"
        for name, value in record.items()
        if name != "attributes"
    )
    inputs = "".join(
        f'<p><label>{_e(name)} <input name="{_e(name)}" '
        f'value="{_e(record.get(name) or "")}"></label></p>'
        for name in EDITABLE[obj.name]
    )
    problem = f'<p class="error">{_e(error)}</p>' if error else ""
    return (
        f'<p><a href="{WEB_PREFIX}">All leads and contacts</a></p>'
        f"<h1>{_e(obj.name)}: {_e(record.get('Name') or record_id)}</h1>{problem}"
        f"{_send_form(backend, record_id)}"
        f'<h2>Edit</h2><form method="post" action="{WEB_PREFIX}/{_e(record_id)}">{inputs}'
        '<button type="submit">Save</button></form>'
        f"<h2>Fields</h2><table>{fields}</table>"
    )


def send_url(leadbridge_url: str) -> str:
    """leadbridge's console page that confirms a Send to leadbridge (its sign-in guards it)."""
    return leadbridge_url.rstrip("/") + SEND_PATH


def _send_form(backend: SandboxBackend, record_id: str) -> str:
    """A GET form (a link with a button's looks): `…/send-to-leadbridge?ids=ID`, new tab."""
    target = send_url(backend.config.leadbridge_url)
    return (
        f'<form method="get" action="{_e(target)}" target="_blank" rel="noopener" '
        f'class="send"><input type="hidden" name="ids" value="{_e(record_id)}">'
        '<button type="submit">Send to leadbridge</button></form>'
    )


def _save(backend: SandboxBackend, record_id: str, body: bytes) -> Reply:
    org = backend.org
    try:
        obj = org.object_for_id(record_id)
    except SalesforceError:
        raise not_found() from None
    if obj.name not in EDITABLE:
        raise not_found()
    posted = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    values: dict[str, Any] = {
        name: (posted[name].strip() or None) for name in EDITABLE[obj.name] if name in posted
    }
    location = f"{WEB_PREFIX}/{record_id}"
    try:
        org.update(obj.name, record_id, values, SaveOptions())
    except SalesforceError as error:
        location += "?error=" + quote(error.message)
    return Reply(status=303, headers={"Location": location}, content_type=HTML_TYPE)


def _page(content: str) -> Reply:
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Sandbox org</title>"
        f"<style>{_STYLE}</style></head><body>{content}</body></html>"
    )
    return Reply(body=body, content_type=HTML_TYPE)


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)
