"""Mapping Salesforce's error shapes to leadbridge's CrmError groups (pure)."""

from __future__ import annotations

import pytest
import requests
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
)

from leadbridge.errors import (
    CrmConfigurationError,
    CrmDataError,
    CrmDuplicateError,
    CrmGoneError,
    CrmLimitError,
    CrmTransientError,
)
from leadbridge.salesforce import errors


def test_rest_error_array_keeps_code_message_fields_and_status() -> None:
    body = [
        {
            "errorCode": "REQUIRED_FIELD_MISSING",
            "message": "Required fields are missing: [LastName]",
            "fields": ["LastName"],
        }
    ]
    error = errors.from_salesforce_error(SalesforceMalformedRequest("u", 400, "Lead", body))
    assert isinstance(error, CrmDataError)
    assert (error.error_code, error.fields, error.status) == (
        "REQUIRED_FIELD_MISSING",
        ["LastName"],
        400,
    )
    assert error.message == "Required fields are missing: [LastName]"


def test_collection_items_use_status_code_and_extra_keys_go_to_details() -> None:
    item = {
        "statusCode": "DUPLICATES_DETECTED",
        "message": "Use one of these records?",
        "fields": [],
        "duplicateResut": {"matchResults": []},
    }
    error = errors.from_error_item(item)
    assert isinstance(error, CrmDuplicateError)
    assert error.details == {"duplicateResut": {"matchResults": []}}


@pytest.mark.parametrize(
    ("code", "status", "group"),
    [
        ("SERVER_UNAVAILABLE", 503, CrmTransientError),
        ("UNABLE_TO_LOCK_ROW", 400, CrmTransientError),
        ("REQUEST_LIMIT_EXCEEDED", 403, CrmLimitError),
        ("ENTITY_IS_DELETED", 404, CrmGoneError),
        ("DUPLICATE_VALUE", 400, CrmDuplicateError),
        ("MULTIPLE_RECORDS", 300, CrmDuplicateError),
        ("INVALID_FIELD", 400, CrmConfigurationError),
        ("STRING_TOO_LONG", 400, CrmDataError),
        ("SOMETHING_NEW", 502, CrmTransientError),
    ],
)
def test_groups(code: str, status: int, group: type) -> None:
    error = errors.from_body([{"errorCode": code, "message": "m"}], status)
    assert type(error) is group


def test_several_errors_keep_the_rest_in_details() -> None:
    body = [{"errorCode": "INVALID_FIELD", "message": "a"}, {"errorCode": "X", "message": "b"}]
    error = errors.from_body(body, 400)
    assert error.error_code == "INVALID_FIELD"
    assert [more.error_code for more in error.details["more_errors"]] == ["X"]


def test_refused_request_is_a_limit_error() -> None:
    body = [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}]
    error = errors.from_salesforce_error(SalesforceRefusedRequest("u", 403, "query", body))
    assert isinstance(error, CrmLimitError)
    assert not error.retryable


def test_several_matches_on_an_external_id() -> None:
    body = [
        "/services/data/v59.0/sobjects/Contact/003A",
        "/services/data/v59.0/sobjects/Contact/003B",
    ]
    error = errors.from_salesforce_error(SalesforceMoreThanOneRecord("u", 300, "Contact", body))
    assert isinstance(error, CrmDuplicateError)
    assert error.error_code == "MULTIPLE_RECORDS"
    assert "2 records" in error.message


def test_non_json_bodies_fall_back_on_the_status() -> None:
    error = errors.from_salesforce_error(
        SalesforceGeneralError("u", 502, "x", b"<html>Bad gateway")
    )
    assert isinstance(error, CrmTransientError)
    assert error.error_code == "HTTP_502"
    assert "Bad gateway" in error.message


@pytest.mark.parametrize(
    ("code", "description", "expected"),
    [
        ("invalid_grant", "authentication failure", "INVALID_GRANT"),
        ("invalid_client_id", "client identifier invalid", "INVALID_CLIENT_ID"),
        ("invalid_client", "invalid client credentials", "INVALID_CLIENT"),
        ("INVALID_LOGIN", "Invalid username, password, security token", "INVALID_LOGIN"),
        ("INVALID AUTH", "You must submit either a security token", "INVALID_AUTH"),
    ],
)
def test_login_failures_are_configuration_errors(
    code: str, description: str, expected: str
) -> None:
    error = errors.from_salesforce_error(SalesforceAuthenticationFailed(code, description))
    assert isinstance(error, CrmConfigurationError)
    assert error.error_code == expected
    assert error.message == description


def test_login_failure_without_json_keeps_the_status() -> None:
    error = errors.from_auth_failure(SalesforceAuthenticationFailed(502, "<html>proxy</html>"))
    assert isinstance(error, CrmConfigurationError)
    assert error.status == 502


def test_oauth_error_body() -> None:
    error = errors.from_body({"error": "invalid_grant", "error_description": "expired"}, 400)
    assert (error.error_code, error.message) == ("INVALID_GRANT", "expired")


def test_secrets_are_scrubbed_from_messages() -> None:
    redact = errors.redactor(["hunter2", "", "s3cr3t-token"])
    body = [{"errorCode": "INVALID_LOGIN", "message": "bad password hunter2 / s3cr3t-token"}]
    error = errors.from_body(body, 400, redact=redact)
    assert "hunter2" not in str(error)
    assert "s3cr3t" not in str(error)
    assert str(error) == "INVALID_LOGIN: bad password *** / ***"


def test_transport_errors() -> None:
    request = requests.Request("GET", "https://acme.my.salesforce.com/services/data").prepare()
    timeout = errors.from_transport_error(requests.ReadTimeout("slow", request=request))
    assert isinstance(timeout, CrmTransientError)
    assert timeout.error_code == "CONNECTION_ERROR"
    assert "acme.my.salesforce.com" in timeout.message
    refused = errors.from_transport_error(requests.ConnectionError("refused"))
    assert isinstance(refused, CrmTransientError)
    tls = errors.from_transport_error(requests.exceptions.SSLError("bad cert"))
    assert isinstance(tls, CrmConfigurationError)
    assert tls.error_code == "TLS_ERROR"
    named = errors.from_transport_error(
        requests.exceptions.SSLError("bad cert", request=request),
        login_url="https://acme.my.salesforce.com",
    )
    assert named.message.startswith("certificate problem")
    assert "login URL https://acme.my.salesforce.com" in named.message
    assert "--ca-file" in named.message and "bad cert" not in named.message


@pytest.mark.parametrize(
    ("cell", "code", "message", "fields"),
    [
        (
            "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --",
            "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [LastName]",
            ["LastName"],
        ),
        (
            "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--",
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
            [],
        ),
        (
            "DUPLICATE_VALUE:duplicate value found: x: --",
            "DUPLICATE_VALUE",
            "duplicate value found: x",
            [],
        ),
        ("WEIRD:no fields marker", "WEIRD", "no fields marker", []),
    ],
)
def test_bulk_error_cells(cell: str, code: str, message: str, fields: list[str]) -> None:
    error = errors.from_bulk_result(cell)
    assert (error.error_code, error.message, error.fields) == (code, message, fields)
