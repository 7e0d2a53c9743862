"""Browser-test steps shared by the apps' Playwright tests."""

from __future__ import annotations


def log_in(page, base_url: str, username: str, password: str = "pass-12345"):  # noqa: S107 - the factories' test password
    """Log in through the real login form at `base_url` (a live server or the real ASGI server) and wait for the
    page the login leads to (not for "idle": the login page itself may be idle)."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page
