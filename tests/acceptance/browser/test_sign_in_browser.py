"""Signing in and out in a real browser (headless Chromium)."""

from __future__ import annotations

from typing import Any

from leadbridge.auth.service import ACCOUNT_FAILURES
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


def test_repeated_wrong_passwords_lock_the_account(
    live_console: LiveConsole, browser_page: Any
) -> None:
    page = browser_page
    for _ in range(ACCOUNT_FAILURES):
        sign_in_page(page, live_console.url, "sales_manager", password="a wrong guess")
        assert "Wrong email or password." in page.inner_text("#sign-in-error")
    sign_in_page(page, live_console.url, "sales_manager")  # the right one, too late
    assert "Too many failed sign-ins" in page.inner_text("#sign-in-error")
    assert page.url.startswith(f"{live_console.url}/sign-in")


def test_a_post_without_the_csrf_token_is_refused(
    live_console: LiveConsole, browser_page: Any
) -> None:
    """The browser sends the session cookie by itself; without the page's token the server
    refuses the change (what a forged form on another site would send)."""
    page = browser_page
    sign_in_page(page, live_console.url, "admin")
    forged = page.request.post(
        f"{live_console.url}/account/api-keys", form={"name": "forged"}, max_redirects=0
    )
    assert forged.status == 403
    assert "expired or did not come from leadbridge" in forged.text()
    page.goto(f"{live_console.url}/account")
    assert "forged" not in page.inner_text("main")
