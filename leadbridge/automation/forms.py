"""Form handler use cases for the CLI: define, list, show, pause and resume handlers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from leadbridge.automation.definitions import actions_json, checked_actions
from leadbridge.domain.automation import describe_action, parse_actions
from leadbridge.domain.forms import FormSpec, check_form_spec, form_may_set
from leadbridge.domain.ids import row_id
from leadbridge.errors import NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.database import Database
from leadbridge.store.forms import FormHandler, FormHandlerRepository, FormSubmissionRepository
from leadbridge.store.prospect_fields import FieldCatalog


def form_handler_path(public_id: str) -> str:
    """Where a website form posts to, relative to the HTTP app's base URL."""
    return f"/form-handlers/{public_id}"


def find_handler(session: Session, clock: Clock, key: str) -> FormHandler:
    handlers = FormHandlerRepository(session, clock)
    number = row_id(key, "form handler")
    if number is not None:
        return handlers.get(number)
    found = handlers.by_name(key)
    if found is None:
        raise NotFoundError(f"no form handler named {key!r}")
    return found


class FormHandlerService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def add(
        self,
        name: str,
        *,
        field_map: Mapping[str, str] | None = None,
        required: Sequence[str] = (),
        actions: Any = (),
        reject_unknown: bool = False,
        active: bool = True,
    ) -> dict[str, Any]:
        """Define a handler; its mapping and completion actions are checked now."""
        spec = FormSpec(dict(field_map or {}), tuple(required), reject_unknown)
        with self.db.session() as session:
            check_form_spec(spec, FieldCatalog.load(session).specs.keys())
            checked = checked_actions(session, self.clock, list(actions)) if actions else []
            handler = FormHandlerRepository(session, self.clock).add(
                name,
                field_map=spec.field_map,
                required=spec.required,
                actions=actions_json(checked),
                reject_unknown=reject_unknown,
                active=active,
            )
            return self._json(session, handler)

    def update(
        self,
        key: str,
        *,
        name: str,
        field_map: Mapping[str, str],
        required: Sequence[str] = (),
        actions: Any = (),
        reject_unknown: bool = False,
    ) -> dict[str, Any]:
        """Change a handler's definition, checked as `add` checks it; its URL stays."""
        spec = FormSpec(dict(field_map), tuple(required), reject_unknown)
        with self.db.session() as session:
            handler = find_handler(session, self.clock, key)
            check_form_spec(spec, FieldCatalog.load(session).specs.keys())
            checked = checked_actions(session, self.clock, list(actions)) if actions else []
            updated = FormHandlerRepository(session, self.clock).update(
                handler.id,
                name=name,
                field_map=spec.field_map,
                required=spec.required,
                actions=actions_json(checked),
                reject_unknown=reject_unknown,
            )
            return self._json(session, updated)

    def settable_fields(self) -> list[str]:
        """The prospect fields a form may set now (public profile, opt-outs, custom)."""
        with self.db.session(readonly=True) as session:
            names = FieldCatalog.load(session).specs.keys()
            return sorted(name for name in names if form_may_set(name))

    def recent_submissions(self, key: str, limit: int = 50) -> list[dict[str, Any]]:
        """The handler's newest accepted posts: when, the prospect, what was posted."""
        with self.db.session(readonly=True) as session:
            handler = find_handler(session, self.clock, key)
            recent = FormSubmissionRepository(session, self.clock).recent(handler.id, limit)
            return [
                {
                    "id": submission.id,
                    "at": submission.at,
                    "prospect_id": submission.prospect_id,
                    "email": email,
                    "payload": submission.payload,
                }
                for submission, email in recent
            ]

    def list(self) -> list[dict[str, Any]]:
        with self.db.session(readonly=True) as session:
            handlers = FormHandlerRepository(session, self.clock).list()
            return [self._json(session, handler) for handler in handlers]

    def show(self, key: str) -> dict[str, Any]:
        with self.db.session(readonly=True) as session:
            return self._json(session, find_handler(session, self.clock, key))

    def set_active(self, key: str, active: bool) -> dict[str, Any]:
        with self.db.session() as session:
            handler = find_handler(session, self.clock, key)
            updated = FormHandlerRepository(session, self.clock).set_active(handler.id, active)
            return self._json(session, updated)

    def _json(self, session: Session, handler: FormHandler) -> dict[str, Any]:
        return {
            "id": handler.id,
            "name": handler.name,
            "active": handler.active,
            "public_id": handler.public_id,
            "path": form_handler_path(handler.public_id),
            "email_field": FormSpec(handler.field_map).email_field,
            "field_map": handler.field_map,
            "required": list(handler.required),
            "reject_unknown": handler.reject_unknown,
            "actions": handler.actions,
            "then": [describe_action(action) for action in parse_actions(handler.actions)]
            if handler.actions
            else [],
            "submissions": FormSubmissionRepository(session, self.clock).count(
                handler_id=handler.id
            ),
        }
