"""The admin console: server-rendered pages (Jinja2, htmx) beside the API.

Each area of the console is a subpackage with an `AREA` (its place in the navigation and the
permission that shows it), a `routes.py` holding its `router`, and its templates beside it
in `templates/` (named `<area>/<file>.html`). `install_console` finds them all, so adding
an area touches nothing else. Who may do what is decided in `leadbridge.domain.access`.
"""

from __future__ import annotations

from leadbridge.web.app import install_console

__all__ = ["install_console"]
