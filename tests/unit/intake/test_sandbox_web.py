"""The sandbox org's record pages, without a server."""

from __future__ import annotations

from pathlib import Path

from leadbridge.sandbox import SandboxBackend, SandboxConfig
from leadbridge.sandbox.web import handle


def test_the_send_button_opens_the_configured_leadbridge_console(tmp_path: Path) -> None:
    config = SandboxConfig(data_dir=tmp_path, memory=True, leadbridge_url="https://lb.example/")
    backend = SandboxBackend(config)
    contact = backend.org.create("Contact", {"LastName": "Y", "Email": "y@y.z"})
    lead = backend.org.create("Lead", {"LastName": "<b>X</b>", "Company": "C", "Email": "x@y.z"})
    listing = str(handle(backend, "GET", "/sandbox/records", {}, {}, b"").body)
    assert listing.index(lead) < listing.index(contact)  # newest first
    assert "<b>X</b>" not in listing  # escaped
    page = handle(backend, "GET", f"/sandbox/records/{lead}", {}, {"host": "org:1"}, b"")
    assert page.content_type.startswith("text/html")
    body = str(page.body)
    send = body[body.index('<form method="get"') : body.index("</form>")]
    assert 'action="https://lb.example/send-to-leadbridge"' in send
    assert 'target="_blank"' in send
    assert f'<input type="hidden" name="ids" value="{lead}">' in send
    assert send.count("<input") == 1  # the id and nothing else: no token, ever
    assert "token" not in body.lower()
    saved = handle(backend, "POST", f"/sandbox/records/{lead}", {}, {}, b"Title=CEO")
    assert saved.status == 303
    assert backend.org.retrieve("Lead", lead)["Title"] == "CEO"
    backend.close()
