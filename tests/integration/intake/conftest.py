"""The intake tests reuse the push engine's wiring to the sandbox org."""

from tests.integration.store.conftest import (  # noqa: F401
    clock,
    db,
    postgres_database,
    postgres_server,
    sqlite_template,
)
from tests.integration.sync.conftest import wired  # noqa: F401
