"""Walking every live prospect in pages (keyset paging by id), one transaction per page.

Never loads all prospects: each page is one bounded query, and its work commits before the
next page is read, so a long run holds no lock for long and what it did survives a crash.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from leadbridge.domain.paging import check_page_size
from leadbridge.ports import Clock
from leadbridge.store.database import Database
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospects import ProspectRepository

DEFAULT_BATCH = 500
Progress = Callable[[int, int], None]  # (prospects done, live prospects in all)


def for_each_page(
    db: Database,
    clock: Clock,
    work: Callable[[Session, list[Prospect]], None],
    *,
    readonly: bool,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    stop: Callable[[], bool] | None = None,
) -> int:
    """Call `work` with each page of live prospects, in id order; how many there were (how
    many it went through, when `stop` said, after a page, that it was enough)."""
    check_page_size(batch_size, item="batch size")
    total = 0
    if progress is not None:
        with db.session(readonly=True) as session:
            total = ProspectRepository(session, clock).count()
    after: int | None = None
    done = 0
    while True:
        with db.session(readonly=readonly) as session:
            page = ProspectRepository(session, clock).list(limit=batch_size, after_id=after)
            if page:
                work(session, page)
        done += len(page)
        if progress is not None:
            progress(done, max(total, done))
        if len(page) < batch_size or (stop is not None and stop()):
            return done
        after = page[-1].id
