"""The console's areas, found by looking for subpackages that declare an `AREA`."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

from fastapi import APIRouter

from leadbridge.domain.access import Permission, UserRole, may

WEB_DIR = Path(__file__).parent


@dataclass(frozen=True)
class Area:
    """One area of the console: its menu entry (`label` at `path`, shown in `section`, at
    `order`) and the permission a role needs to see it."""

    name: str
    label: str
    path: str
    permission: Permission
    order: int
    section: str = "Marketing"


@dataclass(frozen=True)
class Found:
    area: Area | None
    router: APIRouter
    templates: Path | None


@cache
def found_areas() -> tuple[Found, ...]:
    found: list[Found] = []
    for info in sorted(pkgutil.iter_modules([str(WEB_DIR)]), key=lambda i: i.name):
        if not info.ispkg:
            continue
        package = importlib.import_module(f"leadbridge.web.{info.name}")
        routes: ModuleType = importlib.import_module(f"leadbridge.web.{info.name}.routes")
        templates = WEB_DIR / info.name / "templates"
        found.append(
            Found(
                getattr(package, "AREA", None),
                routes.router,
                templates if templates.is_dir() else None,
            )
        )
    return tuple(found)


def menu_for(role: UserRole) -> list[Area]:
    """The areas this role may open, in menu order."""
    areas = [found.area for found in found_areas() if found.area is not None]
    return sorted((a for a in areas if may(role, a.permission)), key=lambda a: a.order)
