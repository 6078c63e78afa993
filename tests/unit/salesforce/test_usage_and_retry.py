"""Usage accounting, the budget, and the retry policy (pure)."""

from __future__ import annotations

import pytest
import requests

from leadbridge.errors import CrmDataError, CrmLimitError, CrmTransientError
from leadbridge.salesforce import RetryPolicy, UsageMeter, errors
from leadbridge.salesforce.usage import parse_limit_info


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def reply(status: int = 200, header: str | None = None, body: bytes = b"{}") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    if header is not None:
        response.headers["Sforce-Limit-Info"] = header
    return response


@pytest.mark.parametrize(
    ("header", "figures"),
    [
        ("api-usage=18/5000", (18, 5000)),
        ("api-usage=25/5000; per-app-api-usage=17/250(appName=app)", (25, 5000)),
        ("per-app-api-usage=17/250(appName=app)", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_limit_info(header: str | None, figures: tuple[int, int] | None) -> None:
    assert parse_limit_info(header) == figures


def test_calls_are_counted_by_kind() -> None:
    meter = UsageMeter()
    with meter.kind("query"):
        meter.before_call()
        with meter.kind("login"):
            meter.before_call()
        meter.before_call()
    meter.before_call()
    assert meter.calls_by_kind == {"query": 2, "login": 1, "other": 1}
    assert meter.api_calls() == 3
    report = meter.report()
    assert report.our_calls == 4


def test_budget_stops_calls_once_usage_is_known_and_over_it() -> None:
    clock = Clock()
    meter = UsageMeter(budget_percent=50, clock=clock)
    meter.before_call()  # nothing known yet: the call goes
    meter.after_response(reply(header="api-usage=49/100"))
    meter.before_call()
    meter.after_response(reply(header="api-usage=50/100"))
    with pytest.raises(CrmLimitError) as stop:
        meter.before_call()
    assert stop.value.error_code == "API_BUDGET_EXCEEDED"
    assert "50 of its 100" in stop.value.message
    assert stop.value.details["budget_percent"] == 50
    assert meter.calls_by_kind["other"] == 2  # the refused call was not counted
    with meter.kind("login"):
        meter.before_call()  # logging in costs no API call: never refused
    clock.now += 601  # the figure is stale: one call may go and bring a fresh one
    meter.before_call()


def test_a_refused_request_stops_calls_without_a_header() -> None:
    meter = UsageMeter()
    meter.after_response(reply(header="api-usage=1/10"))
    meter.after_response(reply(403, body=b'[{"errorCode":"REQUEST_LIMIT_EXCEEDED"}]'))
    with pytest.raises(CrmLimitError) as stop:
        meter.before_call()
    assert stop.value.error_code == "REQUEST_LIMIT_EXCEEDED"
    assert meter.used == 10


def test_budget_must_be_a_share() -> None:
    with pytest.raises(ValueError, match="budget_percent"):
        UsageMeter(budget_percent=0)


def test_retry_backs_off_exponentially_on_transient_errors() -> None:
    waits: list[float] = []
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 4:
            raise CrmTransientError("SERVER_UNAVAILABLE", "down", status=503)
        return "done"

    policy = RetryPolicy(attempts=4, base=1.0, max=100.0, sleep=waits.append)
    assert policy.call(flaky) == "done"
    assert len(waits) == 3
    for number, wait in enumerate(waits):
        assert 2**number <= wait <= 2**number + 1.0  # base * 2^n plus up to `base` of jitter


def test_retry_gives_up_after_the_last_attempt_and_caps_waits() -> None:
    waits: list[float] = []

    def down() -> None:
        raise CrmTransientError("UNABLE_TO_LOCK_ROW", "locked")

    with pytest.raises(CrmTransientError):
        RetryPolicy(attempts=6, base=1.0, max=3.0, sleep=waits.append).call(down)
    assert len(waits) == 5
    assert max(waits) <= 3.0


@pytest.mark.parametrize(
    "error",
    [CrmLimitError("REQUEST_LIMIT_EXCEEDED", "spent"), CrmDataError("X", "bad"), KeyError("k")],
)
def test_no_retry_for_limits_data_errors_or_bugs(error: Exception) -> None:
    waits: list[float] = []
    calls: list[int] = []

    def fail() -> None:
        calls.append(1)
        raise error

    with pytest.raises(type(error)):
        RetryPolicy(sleep=waits.append).call(fail)
    assert calls == [1]
    assert waits == []


def test_creates_are_not_replayed_when_the_request_may_have_arrived() -> None:
    calls: list[int] = []
    lost_reply = CrmTransientError("CONNECTION_ERROR", "timed out", details={"maybe_applied": True})

    def create() -> None:
        calls.append(1)
        raise lost_reply

    policy = RetryPolicy(sleep=lambda _: None)
    with pytest.raises(CrmTransientError):
        policy.call(create, replayable=False)
    assert len(calls) == 1
    with pytest.raises(CrmTransientError):
        policy.call(create)  # an idempotent call is replayed
    assert len(calls) == 1 + policy.attempts


def test_refused_connections_are_known_not_to_have_arrived() -> None:
    try:
        requests.get("https://127.0.0.1:9", timeout=2)
    except requests.RequestException as exc:
        error = errors.from_transport_error(exc)
    assert error.details["maybe_applied"] is False
    lost = errors.from_transport_error(requests.ReadTimeout("read timed out"))
    assert lost.details["maybe_applied"] is True
