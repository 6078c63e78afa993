"""Form posts onto prospect fields: mapping, unknown and required fields, email, secrets."""

from __future__ import annotations

from typing import Any

import pytest

from leadbridge.domain.criteria import default_field_types
from leadbridge.domain.forms import (
    CONSENT_FIELDS,
    FORM_FIELDS,
    HONEYPOT_FIELD,
    REDACTED,
    FormSpec,
    SubmissionError,
    check_form_spec,
    form_may_set,
    is_spam,
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


@pytest.mark.parametrize("field", ["opted_out", "do_not_email", "do_not_call"])
@pytest.mark.parametrize("value", ["true", "on", "1", "Yes", True, ["", "on"]])
def test_a_form_may_set_consent_to_true(field: str, value: Any) -> None:
    assert mapped({"email": "a@example.com", field: value})[field] is True


@pytest.mark.parametrize("field", ["opted_out", "do_not_email", "do_not_call"])
@pytest.mark.parametrize("value", ["false", "0", "", "no", False, 0, None, "maybe"])
def test_a_form_never_clears_consent_and_that_is_not_an_error(field: str, value: Any) -> None:
    result = mapped({"email": "a@example.com", field: value})
    assert field not in result
    renamed = FormSpec({"stay_subscribed": field})
    assert field not in mapped({"email": "a@example.com", "stay_subscribed": value}, renamed)


INTERNAL = ["notes", "score", "grade", "marketing_campaign", "do_not_sync", "source"]
INTERNAL += ["assigned_user_id", "crm_lead_id", "crm_contact_id", "recycled", "deleted_in_crm"]


@pytest.mark.parametrize("field", INTERNAL)
def test_a_form_never_touches_internal_fields(field: str) -> None:
    fields = FIELDS | set(INTERNAL)
    result = map_submission({"email": "a@example.com", field: "x"}, FormSpec({}), fields)
    assert result.values == {"email": "a@example.com"}
    assert result.ignored == (field,)
    # even a handler stored before these rules, mapping a form field onto it
    legacy = map_submission({"email": "a@example.com", "n": "x"}, FormSpec({"n": field}), fields)
    assert legacy.values == {"email": "a@example.com"}
    with pytest.raises(SubmissionError) as caught:
        map_submission(
            {"email": "a@example.com", field: "x"}, FormSpec({}, reject_unknown=True), fields
        )
    assert (caught.value.code, caught.value.field) == ("unknown_field", field)


@pytest.mark.parametrize("field", INTERNAL)
def test_a_handler_cannot_map_a_form_field_onto_an_internal_field(field: str) -> None:
    with pytest.raises(InputError) as caught:
        check_form_spec(FormSpec({"memo": field}), FIELDS | set(INTERNAL))
    assert caught.value.item == "field 'memo'"
    assert f"cannot set {field}" in caught.value.reason


def test_what_a_form_may_set_is_the_public_profile_custom_fields_and_opt_outs() -> None:
    assert {"email", "first_name", "company", "job_title", "phone", "zip"} <= FORM_FIELDS
    assert all(form_may_set(name) for name in FORM_FIELDS | CONSENT_FIELDS)
    assert form_may_set("plan")  # a custom field
    assert not any(form_may_set(name) for name in INTERNAL)
    check_form_spec(FormSpec({"unsubscribe": "opted_out", "tier": "plan"}), FIELDS)


def test_the_honeypot_marks_spam_and_is_never_a_prospect_field() -> None:
    assert is_spam({"email": "a@example.com", HONEYPOT_FIELD: "http://spam.example"})
    assert not is_spam({"email": "a@example.com", HONEYPOT_FIELD: " "})
    assert not is_spam({"email": "a@example.com"})
    strict = FormSpec({}, reject_unknown=True)
    assert mapped({"email": "a@example.com", HONEYPOT_FIELD: ""}, strict) == {
        "email": "a@example.com"
    }
    for spec in (FormSpec({HONEYPOT_FIELD: "website"}), FormSpec({}, (HONEYPOT_FIELD,))):
        with pytest.raises(InputError, match="spam trap"):
            check_form_spec(spec, FIELDS)
