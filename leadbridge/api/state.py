"""What the routes need (the database, the clock, sign-in), kept on the app itself so that
nothing is global and each test builds its own app."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from leadbridge.auth import AuthService
from leadbridge.ports import Clock
from leadbridge.store.database import Database


@dataclass(frozen=True)
class Services:
    database: Database
    clock: Clock
    auth: AuthService


def services(request: Request) -> Services:
    found = request.app.state.leadbridge
    assert isinstance(found, Services)
    return found
