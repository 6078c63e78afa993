"""Opening the marketing database: engine set-up per backend, migrations, transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from leadbridge.errors import ConfigurationError
from leadbridge.private_files import (
    PRIVATE_FILE,
    create_private_dirs,
    create_private_file,
    tighten,
)
from leadbridge.store.migrate import current_revision, head_revision, upgrade_to_head

DEFAULT_URL = "sqlite:///.leadbridge/leadbridge.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "leadbridge_read_only"  # an execution option: begin a read-only transaction


class Database:
    """An engine plus its transactions; build it with `open_database`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = engine.execution_options(
            **{READ_ONLY: True, "postgresql_readonly": engine.dialect.name == "postgresql"}
        )

    def __repr__(self) -> str:
        return f"Database({self.url})"

    @property
    def url(self) -> str:
        """The URL with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def backend(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises.

        On SQLite a writing transaction takes the write lock when it begins; `readonly`
        ones don't, so listing prospects never waits for a sync that is writing (PostgreSQL
        refuses writes in them).
        """
        bind = self._reader if readonly else self.engine
        with Session(bind, expire_on_commit=False) as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str = DEFAULT_URL, *, create: bool = True) -> Database:
    """The database at `url`, migrated to the newest schema.

    With `create` (the default) a missing SQLite file and its folder are made and the schema
    is upgraded to head. Without it, the database must exist and already be at head.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed, create=create)
    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(parsed, pool_pre_ping=True)
    else:
        raise ConfigurationError(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/NAME"
        )
    try:
        _migrate_or_check(engine, create=create)
    except BaseException:
        engine.dispose()
        raise
    return Database(engine)


def _migrate_or_check(engine: Engine, *, create: bool) -> None:
    if create:
        upgrade_to_head(engine)
        return
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise ConfigurationError(
            f"the database schema is at {current or 'nothing'}, not {head}: open it with "
            "create=True to upgrade it"
        )


def _sqlite_engine(url: URL, *, create: bool) -> Engine:
    path = url.database
    if path and path != ":memory:" and not path.startswith("file:"):
        file = Path(path)
        if not create and not file.exists():
            raise ConfigurationError(f"no database at {file}")
        _private_sqlite_file(file)
    engine = create_engine(url)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _private_sqlite_file(file: Path) -> None:
    """The database file (and its folder, when made here) for its owner only: created empty
    0600 before SQLite opens it, so SQLite gives its -wal and -shm files the same mode; found
    looser, it and they are tightened."""
    create_private_dirs(file.parent)
    if create_private_file(file):
        return
    for path in (file, file.with_name(file.name + "-wal"), file.with_name(file.name + "-shm")):
        tighten(path, PRIVATE_FILE)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (see below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    """BEGIN IMMEDIATE for writers: take the write lock up front. A deferred transaction that
    reads and then writes fails at once with "database is locked" when another writer got
    in between, which busy_timeout cannot help with; waiting at BEGIN can. Readers use a
    deferred BEGIN and, in WAL mode, never wait."""
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
