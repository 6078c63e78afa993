"""Form handlers: mapping what a website form posts onto prospect fields, without I/O.

A form field maps to the prospect field named in the handler's field map, or else to the
prospect field of the same name. A form can never set the fields leadbridge owns (score,
grade, marketing campaign) nor the do-not-sync flag: those would let anyone on the internet
change them. Blank submitted values are left out, so an optional field left empty never
erases what a prospect already has.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leadbridge.domain.emails import validate_email
from leadbridge.errors import InputError

PROTECTED_FIELDS = frozenset({"score", "grade", "marketing_campaign", "do_not_sync"})
MAX_FORM_FIELDS = 200
MAX_FORM_FIELD_NAME = 255
REDACTED = "[redacted]"
# Submitted fields that look like secrets are not kept in the activity log.
_SECRET = re.compile(
    r"passw(or)?d|passphrase|^pass$|secret|token|api[_-]?key|(^|[_-])auth([_-]|$)"
    r"|card[_-]?(number|no)|cc[_-]?num|cvc|cvv|ssn|iban|(^|[_-])pin$",
    re.IGNORECASE,
)


class SubmissionError(InputError):
    """A form post that cannot be accepted: `code` for programs, `field` the form field."""

    def __init__(self, code: str, message: str, *, field: str | None) -> None:
        super().__init__(message, item=field)
        self.code = code
        self.field = field


@dataclass(frozen=True)
class FormSpec:
    """How one handler reads a post."""

    field_map: Mapping[str, str]  # form field name → prospect field (renamed ones only)
    required: tuple[str, ...] = ()  # form field names that must be non-blank
    reject_unknown: bool = False  # refuse posts with fields that map to nothing

    @property
    def email_field(self) -> str:
        """The form field that carries the email address."""
        return next((name for name, target in self.field_map.items() if target == "email"), "email")


@dataclass(frozen=True)
class MappedSubmission:
    values: dict[str, Any]  # prospect field → submitted value (blank ones left out)
    sources: dict[str, str]  # prospect field → the form field it came from
    ignored: tuple[str, ...]  # submitted form fields that map to no prospect field

    @property
    def email(self) -> str:
        return str(self.values["email"])


def check_form_spec(spec: FormSpec, prospect_fields: Collection[str]) -> None:
    """InputError when a handler's definition cannot work (checked when it is defined)."""
    targets: dict[str, str] = {}
    for form_name, target in spec.field_map.items():
        _check_name(form_name, item="field map")
        if target not in prospect_fields:
            raise InputError(f"no prospect field named {target!r}", item=f"field {form_name!r}")
        if target in PROTECTED_FIELDS:
            raise InputError(f"a form cannot set {target}", item=f"field {form_name!r}")
        if target in targets:
            raise InputError(
                f"{targets[target]!r} already maps to {target}", item=f"field {form_name!r}"
            )
        targets[target] = form_name
    if spec.field_map.get("email", "email") != "email" and "email" not in targets:
        raise InputError("no form field maps to email", item="field map")
    for name in spec.required:
        _check_name(name, item="required")


def _check_name(name: str, *, item: str) -> None:
    if not name.strip() or len(name) > MAX_FORM_FIELD_NAME or name != name.strip():
        raise InputError(
            f"{name!r}: a form field name is 1 to {MAX_FORM_FIELD_NAME} characters, "
            "without surrounding spaces",
            item=item,
        )


def target_of(form_name: str, spec: FormSpec, prospect_fields: Collection[str]) -> str | None:
    """The prospect field a form field sets, or None."""
    if form_name in spec.field_map:
        return spec.field_map[form_name]
    explicit = set(spec.field_map.values())
    if form_name in prospect_fields and form_name not in PROTECTED_FIELDS:
        return None if form_name in explicit else form_name
    return None


def map_submission(
    submitted: Mapping[str, Any], spec: FormSpec, prospect_fields: Collection[str]
) -> MappedSubmission:
    """The prospect values a post sets; SubmissionError names the first bad form field."""
    if len(submitted) > MAX_FORM_FIELDS:
        raise SubmissionError(
            "too_many_fields", f"at most {MAX_FORM_FIELDS} fields per submission", field=None
        )
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    ignored: list[str] = []
    for name, value in submitted.items():
        target = target_of(name, spec, prospect_fields)
        if target is None:
            if spec.reject_unknown and name not in spec.required:
                raise SubmissionError("unknown_field", "this form takes no such field", field=name)
            ignored.append(name)
        elif not is_blank(value):
            values[target], sources[target] = value, name
    for name in spec.required:
        if is_blank(submitted.get(name)):
            raise SubmissionError("required", "is required", field=name)
    email_field = spec.email_field
    raw_email = values.get("email")
    if raw_email is None:
        raise SubmissionError("required", "an email address is required", field=email_field)
    if not isinstance(raw_email, str):
        raise SubmissionError("invalid_email", "give the email address as text", field=email_field)
    try:
        values["email"] = validate_email(raw_email, item=email_field)
    except InputError as error:
        raise SubmissionError("invalid_email", error.reason, field=email_field) from None
    return MappedSubmission(values, sources, tuple(ignored))


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple):
        return all(is_blank(item) for item in value)
    return False


def redact(submitted: Mapping[str, Any]) -> dict[str, Any]:
    """The submission as kept in the activity log: secret-looking fields replaced."""
    return {name: REDACTED if _SECRET.search(name) else value for name, value in submitted.items()}


def parse_field_map(pairs: Sequence[str]) -> dict[str, str]:
    """`form_name=prospect_field` pairs (the CLI's `--field`) as a field map."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        form_name, sep, target = pair.partition("=")
        if not sep or not form_name.strip() or not target.strip():
            raise InputError("use FORM_FIELD=PROSPECT_FIELD", item=f"--field {pair!r}")
        mapping[form_name.strip()] = target.strip().lower()
    return mapping
