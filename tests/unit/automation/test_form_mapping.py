"""Form posts onto prospect fields: mapping, unknown and required fields, email, secrets."""

from __future__ import annotations

from typing import Any

import pytest

from leadbridge.domain.criteria import default_field_types
from leadbridge.domain.forms import (
    REDACTED,
    FormSpec,
    SubmissionError,
    check_form_spec,
    map_submission,
    parse_field_map,
    redact,
)
from leadbridge.errors import InputError

FIELDS = set(default_field_types()) | {"plan"}


def mapped(submitted: dict[str, Any], spec: FormSpec | None = None) -> dict[str, Any]:
    return map_submission(submitted, spec or FormSpec({}), FIELDS).values


def refused(submitted: dict[str, Any], spec: FormSpec | None = None) -> SubmissionError:
    with pytest.raises(SubmissionError) as caught:
        map_submission(submitted, spec or FormSpec({}), FIELDS)
    return caught.value


def test_same_name_by_default_and_renamed_fields() -> None:
    spec = FormSpec({"work_email": "email", "org": "company"})
    result = map_submission(
        {"work_email": " Ada@Example.com ", "org": "ACME", "first_name": "Ada", "plan": "gold"},
        spec,
        FIELDS,
    )
    assert result.values == {
        "email": "Ada@Example.com",
        "company": "ACME",
        "first_name": "Ada",
        "plan": "gold",
    }
    assert result.sources["company"] == "org"
    assert spec.email_field == "work_email"


def test_blank_values_are_left_out_and_unknown_fields_ignored_by_default() -> None:
    result = map_submission(
        {"email": "a@example.com", "phone": " ", "utm_source": "ads", "score": "100"},
        FormSpec({}),
        FIELDS,
    )
    assert result.values == {"email": "a@example.com"}
    assert set(result.ignored) == {"utm_source", "score"}  # a form never sets the score


def test_an_explicitly_mapped_field_wins_over_a_same_named_one() -> None:
    values = mapped({"email": "x@example.com", "contact": "y@example.com"},
                    FormSpec({"contact": "email"}))  # fmt: skip
    assert values["email"] == "y@example.com"


@pytest.mark.parametrize(
    ("submitted", "spec", "code", "field"),
    [
        ({"first_name": "Ada"}, FormSpec({}), "required", "email"),
        ({"email": "nope"}, FormSpec({}), "invalid_email", "email"),
        ({"mail": "nope"}, FormSpec({"mail": "email"}), "invalid_email", "mail"),
        ({"email": 5}, FormSpec({}), "invalid_email", "email"),
        ({"email": "a@example.com"}, FormSpec({}, ("company",)), "required", "company"),
        ({"email": "a@example.com", "x": "1"}, FormSpec({}, (), True), "unknown_field", "x"),
    ],
)
def test_bad_posts_name_the_form_field(
    submitted: dict[str, Any], spec: FormSpec, code: str, field: str
) -> None:
    error = refused(submitted, spec)
    assert (error.code, error.field) == (code, field)


def test_a_required_field_that_maps_nowhere_is_known_even_when_rejecting_unknown() -> None:
    spec = FormSpec({}, ("consent",), reject_unknown=True)
    assert mapped({"email": "a@example.com", "consent": "yes"}, spec) == {"email": "a@example.com"}


def test_too_many_fields_are_refused() -> None:
    error = refused({f"f{i}": "x" for i in range(201)})
    assert error.code == "too_many_fields"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (FormSpec({"org": "organisation"}), "no prospect field"),
        (FormSpec({"points": "score"}), "cannot set score"),
        (FormSpec({"a": "company", "b": "company"}), "already maps"),
        (FormSpec({"email": "company"}), "no form field maps to email"),
        (FormSpec({" x": "company"}), "form field name"),
    ],
)
def test_bad_handler_definitions(spec: FormSpec, message: str) -> None:
    with pytest.raises(InputError, match=message):
        check_form_spec(spec, FIELDS)


def test_secrets_are_not_kept() -> None:
    kept = redact(
        {"email": "a@example.com", "password": "x", "api_key": "k", "card_number": "4111",
         "auth_token": "t", "passport": "P1", "author": "Ada"}
    )  # fmt: skip
    assert kept == {
        "email": "a@example.com",
        "password": REDACTED,
        "api_key": REDACTED,
        "card_number": REDACTED,
        "auth_token": REDACTED,
        "passport": "P1",
        "author": "Ada",
    }


def test_parse_field_map() -> None:
    assert parse_field_map(["work_email=Email", "org = company"]) == {
        "work_email": "email",
        "org": "company",
    }
    with pytest.raises(InputError, match="FORM_FIELD=PROSPECT_FIELD"):
        parse_field_map(["org"])
