"""Form handlers are posted to by a public id that cannot be guessed, not by row number;
spooled posts keep that id; the migration gives existing handlers one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from leadbridge.automation import FormHandlerService
from leadbridge.automation.spool import SubmissionSpool
from leadbridge.automation.submissions import FormSubmissionService
from leadbridge.errors import NotFoundError
from leadbridge.store import Database, open_database
from leadbridge.store.forms import FormSubmissionRepository, is_public_id
from leadbridge.store.migrate import alembic_config
from tests.integration.store.support import FakeClock


def test_public_ids_are_random_and_distinct(db: Database, clock: FakeClock) -> None:
    service = FormHandlerService(db, clock)
    handlers = [service.add(f"Form {n}") for n in range(20)]
    ids = {handler["public_id"] for handler in handlers}
    assert len(ids) == 20
    assert all(is_public_id(public_id) for public_id in ids)
    assert not any(public_id.isdigit() for public_id in ids)
    assert {handler["path"] for handler in handlers} == {f"/form-handlers/{i}" for i in ids}


def test_a_post_by_public_id_lands_and_anything_else_is_not_found(
    db: Database, clock: FakeClock
) -> None:
    shown = FormHandlerService(db, clock).add("Contact us")
    service = FormSubmissionService(db, clock)
    result = service.submit_public(shown["public_id"], {"email": "ada@example.com"})
    assert result.created
    for wrong in (str(shown["id"]), shown["public_id"].swapcase(), "", "x" * 16, "٣" * 16):
        with pytest.raises(NotFoundError, match="no form handler at this address"):
            service.submit_public(wrong, {"email": "bob@example.com"})


def test_a_spooled_post_keeps_the_public_id_and_old_entries_still_drain(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    shown = FormHandlerService(db, clock).add("Contact us")
    spool = SubmissionSpool(tmp_path / "spool", FormSubmissionService(db, clock))
    spooled = spool.add(shown["public_id"], {"email": "ada@example.com"})
    assert json.loads(spooled.path.read_text())["handler"] == shown["public_id"]
    legacy = tmp_path / "spool" / "00000000000000000001-legacy.json"
    legacy.write_text(json.dumps({"handler_id": shown["id"], "submitted": {"email": "b@x.org"}}))
    assert spool.drain() == 2
    with db.session(readonly=True) as session:
        assert FormSubmissionRepository(session, clock).count(handler_id=shown["id"]) == 2


def test_the_migration_gives_existing_handlers_random_public_ids(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        config = alembic_config(db.engine)
        command.downgrade(config, "0008-1")
        with db.engine.begin() as connection:
            for name in ("A", "B", "C"):
                connection.execute(
                    text(
                        "INSERT INTO form_handlers (name, active, reject_unknown, field_map, "
                        "required, actions, created_at, updated_at) VALUES (:name, 1, 0, '{}', "
                        "'[]', '[]', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                    ),
                    {"name": name},
                )
        command.upgrade(config, "head")
        with db.engine.connect() as connection:
            ids = [
                row[0] for row in connection.execute(text("SELECT public_id FROM form_handlers"))
            ]
        assert len(set(ids)) == 3
        assert all(is_public_id(public_id) for public_id in ids)
    finally:
        db.dispose()
