"""Keeping form posts with group commit (PostgreSQL): the public endpoint's hot path.

One writer thread per process holds the inserts: a post handed to it waits while the
statement before it is in flight, and every post waiting then is written together, in one
multi-row INSERT … RETURNING and one commit. Under load a commit (and its WAL flush) carries
dozens of posts instead of one, no request holds a pooled connection or a thread of its own,
and a quiet server still writes a lone post at once (nothing waits for a batch to fill).

A post is answered only after the commit that holds it: an acknowledged post is durable, as
before. When the statement fails, every post in it gets the error (StoreTransientError for
a passing one: the endpoint then spools them, see automation/spool.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, exc

from leadbridge.ports import Clock
from leadbridge.store.database import Database, StoreTransientError, describe, is_transient
from leadbridge.store.form_posts import MAX_CLIENT, PENDING

logger = logging.getLogger(__name__)
MAX_GROUP = 500  # posts one statement writes at most


@dataclass(frozen=True)
class _Post:
    handler_id: int
    payload: Mapping[str, Any]
    client: str | None
    answer: Future[int] | asyncio.Future[int]
    loop: asyncio.AbstractEventLoop | None = None  # the answer's, for an asyncio future


Outcome = tuple[_Post, int | None, BaseException | None]


class FormPostWriter:
    """`keep` (blocking) or `keep_async` (awaitable) write a post and give its id; the thread
    starts with the first post."""

    def __init__(self, db: Database, clock: Clock, *, max_group: int = MAX_GROUP) -> None:
        self.db = db
        self.clock = clock
        self.max_group = max_group
        self._queue: queue.SimpleQueue[_Post | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._connection: Connection | None = None  # the writer thread's own
        self._start = threading.Lock()
        self.statements = 0  # statements written (for tests and benchmarks)

    def keep(self, handler_id: int, payload: Mapping[str, Any], client: str | None) -> int:
        """Write one post and wait for its commit; its id."""
        future: Future[int] = Future()
        self._submit(_Post(handler_id, payload, client, future))
        return future.result()

    async def keep_async(
        self, handler_id: int, payload: Mapping[str, Any], client: str | None
    ) -> int:
        """`keep` for the event loop: the loop goes on serving while the post is written."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        self._submit(_Post(handler_id, payload, client, future, loop))
        return await future

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(30)

    def _submit(self, post: _Post) -> None:
        if self._thread is None:
            with self._start:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="leadbridge-form-post-writer", daemon=True
                    )
                    self._thread.start()
        self._queue.put(post)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                if self._connection is not None:
                    self._connection.close()
                return
            group = [first]
            while len(group) < self.max_group:
                try:
                    post = self._queue.get_nowait()
                except queue.Empty:
                    break
                if post is None:
                    self._queue.put(None)  # stop after this group
                    break
                group.append(post)
            self._write(group)

    def _write(self, group: Sequence[_Post]) -> None:
        _deliver(self._outcomes(group))

    def _outcomes(self, group: Sequence[_Post]) -> list[Outcome]:
        """Each post's id or error; when the group fails for good (say one post names a
        handler deleted meanwhile), each post is written alone, so one bad post fails no
        other."""
        try:
            ids = self._insert(group)
        except Exception as error:  # every post in the statement learns why
            if isinstance(error, exc.DBAPIError) and is_transient(error):
                error = StoreTransientError(describe(error))
            elif len(group) > 1:
                return [outcome for post in group for outcome in self._outcomes([post])]
            else:
                logger.exception("a form post could not be kept")
            return [(post, None, error) for post in group]
        return [(post, post_id, None) for post, post_id in zip(group, ids, strict=True)]

    def _insert(self, group: Sequence[_Post]) -> list[int]:
        """One statement whatever the group's size (prepared once by the driver): the
        posts as arrays, inserted in their order, so their serial ids ascend in it."""
        from psycopg.types.json import Jsonb

        parameters = {
            "at": self.clock.now(),
            "handlers": [post.handler_id for post in group],
            "payloads": [Jsonb(dict(post.payload)) for post in group],
            "clients": [
                None if post.client is None else post.client[:MAX_CLIENT] for post in group
            ],
        }
        connection = self._connection or self.db.engine.connect()
        self._connection = None
        try:
            with connection.begin():
                found = connection.exec_driver_sql(_INSERT, parameters).scalars()
                ids = sorted(int(post_id) for post_id in found)
        except Exception:
            connection.invalidate()  # a broken connection is not used again
            connection.close()
            raise
        self._connection = connection  # kept: no pool checkout (and its ping) per statement
        self.statements += 1
        return ids


_INSERT = f"""
INSERT INTO form_posts (handler_id, received_at, payload, client, status, attempts)
SELECT handler_id, %(at)s, payload, client, '{PENDING}', 0
FROM unnest(%(handlers)s::integer[], %(payloads)s::jsonb[], %(clients)s::varchar[])
     WITH ORDINALITY AS post(handler_id, payload, client, position)
ORDER BY position
RETURNING id
"""


def _deliver(outcomes: Sequence[Outcome]) -> None:
    """Answer the posts: a blocking caller's at once, an event loop's with one wake-up of
    that loop for the whole group."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
    for outcome in outcomes:
        post = outcome[0]
        if post.loop is None:
            _settle([outcome])
        else:
            by_loop.setdefault(post.loop, []).append(outcome)
    for loop, waiting in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(_settle, waiting)


def _settle(outcomes: Sequence[Outcome]) -> None:
    for post, post_id, error in outcomes:
        if post.answer.done():  # the request was cancelled (the client went away)
            continue
        if error is not None:
            post.answer.set_exception(error)
        else:
            assert post_id is not None
            post.answer.set_result(post_id)
