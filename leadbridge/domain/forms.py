"""Form handlers: mapping what a website form posts onto prospect fields, without I/O.

A form field maps to the prospect field named in the handler's field map, or else to the
prospect field of the same name. Anyone on the internet can post a form, so what a form may
set is defined positively: the public profile fields (`FORM_FIELDS`), custom fields, and the
consent flags (`CONSENT_FIELDS`) only towards true — a form can opt a prospect out, never
back in. Everything else (notes, score, grade, campaign, do-not-sync, assignment, CRM ids,
recycle state) is out of a form's reach. Blank submitted values are left out, so an
optional field left empty never erases what a prospect already has.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leadbridge.domain.emails import validate_email
from leadbridge.domain.fields import DEFAULT_FIELDS
from leadbridge.errors import InputError

# The public profile fields a visitor may fill in about themselves.
FORM_FIELDS = frozenset(
    {
        *("email", "salutation", "first_name", "last_name", "job_title", "department"),
        *("company", "website", "industry", "annual_revenue", "employees", "comments"),
        *("phone", "fax", "address_one", "address_two", "city", "state", "zip", "country"),
    }
)
# Consent flags a form may only set to true (opting out), never clear.
CONSENT_FIELDS = frozenset({"opted_out", "do_not_email", "do_not_call"})
# Every built-in prospect field and column: a name here that is in neither set above is
# internal (a custom field can never take one of these names through a form).
BUILT_IN_FIELDS = frozenset(
    {field.name for field in DEFAULT_FIELDS}
    | {"id", "email_key", "do_not_sync", "assigned_user", "assigned_user_id", "recycled"}
    | {"marketing_campaign_id", "crm_lead_id", "crm_contact_id", "crm_account_id"}
    | {"crm_owner_id", "deleted_in_crm", "created_at", "updated_at", "last_crm_sync_at"}
)
HONEYPOT_FIELD = "lb_website_url"
_TRUE = frozenset({"true", "yes", "y", "1", "on"})
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
        if form_name == HONEYPOT_FIELD:
            raise InputError(f"{HONEYPOT_FIELD} is the spam trap field", item="field map")
        if target not in prospect_fields:
            raise InputError(f"no prospect field named {target!r}", item=f"field {form_name!r}")
        if not form_may_set(target):
            raise InputError(
                f"a form cannot set {target}: forms set only public profile fields, custom "
                "fields and opt-outs",
                item=f"field {form_name!r}",
            )
        if target in targets:
            raise InputError(
                f"{targets[target]!r} already maps to {target}", item=f"field {form_name!r}"
            )
        targets[target] = form_name
    if spec.field_map.get("email", "email") != "email" and "email" not in targets:
        raise InputError("no form field maps to email", item="field map")
    for name in spec.required:
        _check_name(name, item="required")
        if name == HONEYPOT_FIELD:
            raise InputError(f"{HONEYPOT_FIELD} is the spam trap field", item="required")


def form_may_set(target: str) -> bool:
    """Whether a form may write prospect field `target` at all (consent: only to true).

    Positive: public profile fields, consent flags, and any other name (a custom field; the
    caller checks it exists) that is not a built-in field."""
    return target in FORM_FIELDS or target in CONSENT_FIELDS or target not in BUILT_IN_FIELDS


def is_spam(submitted: Mapping[str, Any]) -> bool:
    """A post whose honeypot (a field hidden from people) is filled in came from a bot."""
    return not is_blank(submitted.get(HONEYPOT_FIELD))


def consents(value: Any) -> bool:
    """Whether a posted consent value says true; anything else leaves the flag alone."""
    if isinstance(value, bool):
        return value
    if isinstance(value, list | tuple):
        return any(consents(item) for item in value)
    return str(value).strip().lower() in _TRUE


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
    if form_name in prospect_fields and form_may_set(form_name):
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
        if name == HONEYPOT_FIELD:
            continue
        target = target_of(name, spec, prospect_fields)
        if target is not None and not form_may_set(target):
            target = None  # a handler stored before these rules: never write the field
        if target in CONSENT_FIELDS:
            if consents(value):
                values[target], sources[target] = True, name
            continue  # a form never clears consent: false, blank or junk is ignored
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
