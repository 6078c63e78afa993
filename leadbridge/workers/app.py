"""procrastinate's App for leadbridge: the PostgreSQL connection and the registered jobs."""

from __future__ import annotations

from procrastinate import App, PsycopgConnector
from sqlalchemy.engine import make_url

from leadbridge.errors import ConfigurationError

SCHEMA = "procrastinate"  # made by migration 0013, on PostgreSQL only
NAMESPACE = "leadbridge"


def conninfo(database_url: str) -> str:
    """The libpq URL of leadbridge's PostgreSQL database (SQLAlchemy's URL without the
    driver); ConfigurationError for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ConfigurationError(
            "workers need PostgreSQL (set LEADBRIDGE_DATABASE_URL to "
            "postgresql+psycopg://USER@HOST/NAME); with SQLite, `leadbridge serve` runs the "
            "sync itself"
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def build_app(database_url: str) -> App:
    """The App with leadbridge's jobs, its connection on procrastinate's schema."""
    from leadbridge.workers.tasks import blueprint

    connector = PsycopgConnector(
        conninfo=conninfo(database_url),
        kwargs={"options": f"-c search_path={SCHEMA}"},
    )
    app = App(connector=connector)
    app.add_tasks_from(blueprint, namespace=NAMESPACE)
    return app


def task_name(name: str) -> str:
    return f"{NAMESPACE}:{name}"
