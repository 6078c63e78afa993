"""Opening the marketing database: engine set-up per backend, migrations, transactions."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, exc, make_url
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from leadbridge.errors import ConfigurationError, LeadbridgeError
from leadbridge.private_files import (
    PRIVATE_FILE,
    create_private_dirs,
    create_private_file,
    tighten,
)
from leadbridge.store.migrate import current_revision, head_revision, is_at_head, upgrade_to_head

DEFAULT_URL = "sqlite:///.leadbridge/leadbridge.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "leadbridge_read_only"  # an execution option: begin a read-only transaction
BUSY_TIMEOUT = "leadbridge_busy_timeout_ms"  # an execution option: SQLite's wait for the lock
# PostgreSQL: serialization failure, deadlock, lock not available, connection failures.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03", "08000", "08003", "08006", "57P01"})
TRANSIENT_SQLITE = ("database is locked", "database is busy", "database table is locked")
log = logging.getLogger("leadbridge.store")
T = TypeVar("T")


class StoreTransientError(LeadbridgeError):
    """The database could not do it now (locked, a serialization failure or deadlock, the
    connection lost): the same work can be retried as is, nothing was committed."""

    retryable = True


def is_transient(error: BaseException) -> bool:
    """Whether a database error is worth retrying unchanged."""
    if isinstance(error, StoreTransientError):
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate in TRANSIENT_SQLSTATES:
        return True
    message = str(error.orig).lower()
    if isinstance(error, exc.OperationalError):
        if any(text in message for text in TRANSIENT_SQLITE):
            return True
        return "server closed the connection" in message or "connection" in message
    return False


def retry_transient(
    work: Callable[[], T],
    *,
    attempts: int = 5,
    base: float = 0.2,
    cap: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `work` (one or more whole transactions), again after a transient store error,
    waiting base·2ⁿ seconds (at most `cap`) between attempts."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except StoreTransientError as error:
            if attempt == attempts:
                raise
            wait = min(cap, base * 2 ** (attempt - 1))
            log.warning("store busy (%s); retrying in %.1f s", error, wait)
            sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


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
    def session(
        self, *, readonly: bool = False, busy_timeout_ms: int | None = None
    ) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises.

        On SQLite a writing transaction takes the write lock when it begins; `readonly`
        ones don't, so listing prospects never waits for a sync that is writing (PostgreSQL
        refuses writes in them). `busy_timeout_ms` shortens (or lengthens) how long SQLite
        waits for the lock. Transient failures (see `is_transient`) are raised as
        StoreTransientError, which `retry_transient` retries.
        """
        bind = self._reader if readonly else self.engine
        if busy_timeout_ms is not None:
            bind = bind.execution_options(**{BUSY_TIMEOUT: busy_timeout_ms})
        try:
            with Session(bind, expire_on_commit=False) as session, session.begin():
                yield session
        except exc.DBAPIError as error:
            if is_transient(error):
                raise StoreTransientError(describe(error)) from error
            raise

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
        # Many-row INSERTs as multi-row VALUES statements (1,000 rows each), not psycopg's
        # one statement per row (pipelined): several times less Python work per row.
        engine.dialect.use_insertmanyvalues_wo_returning = True
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
    if is_at_head(engine):
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
    options = connection.get_execution_options()
    timeout = int(options.get(BUSY_TIMEOUT, SQLITE_BUSY_TIMEOUT_MS))
    connection.exec_driver_sql(f"PRAGMA busy_timeout={timeout}")
    connection.exec_driver_sql("BEGIN" if options.get(READ_ONLY, False) else "BEGIN IMMEDIATE")


def describe(error: exc.DBAPIError) -> str:
    """The driver's message, first line only (never the statement or its parameters)."""
    text = str(error.orig).strip().splitlines()
    return f"the database is busy or unreachable: {text[0] if text else type(error.orig)}"
