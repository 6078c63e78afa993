"""Signing in and out in a real browser (headless Chromium)."""

from __future__ import annotations

from typing import Any

from tests.console import LiveConsole, email_for, sign_in_page


def test_a_wrong_password_then_the_right_one_then_sign_out(
    live_console: LiveConsole, browser_page: Any
) -> None:
    page = browser_page
    sign_in_page(page, live_console.url, "marketing", password="not my password")
    assert page.url.startswith(f"{live_console.url}/sign-in")
    assert "Wrong email or password." in page.inner_text("#sign-in-error")
    assert page.input_value("#email") == email_for("marketing")

    sign_in_page(page, live_console.url, "marketing")
    page.goto(f"{live_console.url}/account")
    assert "Marketing" in page.inner_text(".who")
    page.click("text=Sign out")
    page.wait_for_url(f"{live_console.url}/sign-in")
    assert "You are signed out." in page.inner_text("main")
    page.goto(f"{live_console.url}/account")
    assert page.url.startswith(f"{live_console.url}/sign-in?next=/account")


def test_an_api_key_is_shown_once_and_works_on_the_api(
    live_console: LiveConsole, browser_page: Any
) -> None:
    page = browser_page
    sign_in_page(page, live_console.url, "sales")
    page.goto(f"{live_console.url}/account")
    page.fill("#key-name", "My script")
    page.click("text=Create key")
    key = page.inner_text("#new-key").strip()
    assert key.startswith("lbk_")
    answer = page.request.get(
        f"{live_console.url}/api/v1/prospects/nobody@example.com",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert answer.status == 404  # authenticated: the prospect just does not exist
    page.goto(f"{live_console.url}/account")
    assert key not in page.content()
    assert "My script" in page.inner_text("table")
