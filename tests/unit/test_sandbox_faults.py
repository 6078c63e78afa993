from __future__ import annotations

import json
import random
import threading

import pytest
import requests

from leadbridge.sandbox.faults import (
    BULK_SHUFFLE,
    CONNECTION_CUT,
    INVALID_SESSION_ID,
    LATENCY,
    NO_FAULT,
    RECORD_LOCK,
    REQUEST_LIMIT_EXCEEDED,
    SERVER_UNAVAILABLE,
    UNABLE_TO_LOCK_ROW,
    FaultDecision,
    FaultInjector,
    fault_error,
)
from tests.conftest import SandboxClient

LEAD_PATH = "/services/data/v59.0/sobjects/Lead/00Q5g000000001AAAA"
COLLECTION_PATH = "/services/data/v59.0/composite/sobjects"
QUERY_PATH = "/services/data/v59.0/query/?q=SELECT+Id+FROM+Lead"


@pytest.fixture
def injector() -> FaultInjector:
    return FaultInjector(random.Random(42))


def _codes(injector: FaultInjector, path: str, count: int) -> list[str | None]:
    return [_code(injector.decide(path)) for _ in range(count)]


def _code(decision: FaultDecision) -> str | None:
    return decision.error.error_code if decision.error else None


def test_no_rules_means_no_fault(injector: FaultInjector) -> None:
    assert injector.decide(LEAD_PATH) == NO_FAULT
    assert injector.describe() == []


def test_next_n_fires_exactly_n_times(injector: FaultInjector) -> None:
    injector.set_rule(SERVER_UNAVAILABLE, next_n=2)
    assert _codes(injector, LEAD_PATH, 4) == [SERVER_UNAVAILABLE, SERVER_UNAVAILABLE, None, None]
    (rule,) = injector.describe()
    assert rule["next_n"] == 0
    assert rule["fired"] == 2


def test_probability_zero_never_fires_and_one_always_fires(injector: FaultInjector) -> None:
    injector.set_rule(UNABLE_TO_LOCK_ROW, probability=0.0)
    assert _codes(injector, LEAD_PATH, 50) == [None] * 50
    injector.set_rule(UNABLE_TO_LOCK_ROW, probability=1.0)
    assert _codes(injector, LEAD_PATH, 50) == [UNABLE_TO_LOCK_ROW] * 50


def test_probability_is_seeded_and_roughly_right() -> None:
    def run() -> list[str | None]:
        injector = FaultInjector(random.Random(3))
        injector.set_rule(SERVER_UNAVAILABLE, probability=0.25)
        return _codes(injector, LEAD_PATH, 400)

    first = run()
    assert first == run()
    assert 60 < first.count(SERVER_UNAVAILABLE) < 140


def test_next_n_is_used_before_probability(injector: FaultInjector) -> None:
    injector.set_rule(REQUEST_LIMIT_EXCEEDED, next_n=1, probability=0.0)
    assert _codes(injector, LEAD_PATH, 3) == [REQUEST_LIMIT_EXCEEDED, None, None]


def test_path_filter(injector: FaultInjector) -> None:
    injector.set_rule(UNABLE_TO_LOCK_ROW, next_n=1, path_contains="/sobjects/Lead")
    assert _code(injector.decide(QUERY_PATH)) is None
    assert injector.describe()[0]["next_n"] == 1  # a non-matching path does not consume
    assert _code(injector.decide(LEAD_PATH)) == UNABLE_TO_LOCK_ROW


def test_latency_rule(injector: FaultInjector) -> None:
    injector.set_rule(LATENCY, probability=1.0, latency_ms=250)
    assert injector.decide(LEAD_PATH) == FaultDecision(250, None)
    injector.set_rule(LATENCY, next_n=1, latency_ms=100)
    assert [d.latency_ms for d in (injector.decide(LEAD_PATH) for _ in range(2))] == [100, 0]


def test_latency_adds_to_an_error(injector: FaultInjector) -> None:
    injector.set_rule(LATENCY, probability=1.0, latency_ms=50)
    injector.set_rule(SERVER_UNAVAILABLE, next_n=1, latency_ms=1000)
    decision = injector.decide(LEAD_PATH)
    assert decision.latency_ms == 1050
    assert _code(decision) == SERVER_UNAVAILABLE
    assert injector.decide(LEAD_PATH) == FaultDecision(50, None)


def test_one_error_per_request_in_priority_order(injector: FaultInjector) -> None:
    injector.set_rule(UNABLE_TO_LOCK_ROW, next_n=1)
    injector.set_rule(SERVER_UNAVAILABLE, next_n=1)
    injector.set_rule(INVALID_SESSION_ID, next_n=1)
    assert _codes(injector, LEAD_PATH, 4) == [
        INVALID_SESSION_ID,
        SERVER_UNAVAILABLE,
        UNABLE_TO_LOCK_ROW,
        None,
    ]


@pytest.mark.parametrize(
    ("kind", "status", "message"),
    [
        (SERVER_UNAVAILABLE, 503, "Server Unavailable"),
        (
            UNABLE_TO_LOCK_ROW,
            400,
            "unable to obtain exclusive access to this record or 1 records: 00Q5g000000001AAAA",
        ),
        (REQUEST_LIMIT_EXCEEDED, 403, "TotalRequests Limit exceeded."),
        (INVALID_SESSION_ID, 401, "Session expired or invalid"),
    ],
)
def test_error_shapes(injector: FaultInjector, kind: str, status: int, message: str) -> None:
    injector.set_rule(kind, next_n=1)
    error = injector.decide(LEAD_PATH).error
    assert error is not None
    assert (error.error_code, error.status, error.message) == (kind, status, message)
    assert error.rest_body()[0]["errorCode"] == kind


def test_lock_error_without_an_id_in_the_path() -> None:
    error = fault_error(UNABLE_TO_LOCK_ROW, "/services/data/v59.0/composite/sobjects")
    assert error.message.endswith("1 records: record")
    error = fault_error(UNABLE_TO_LOCK_ROW, "/services/data/v59.0/sobjects/CampaignMembers")
    assert error.message.endswith("1 records: record")


def test_clear(injector: FaultInjector) -> None:
    injector.set_rule(SERVER_UNAVAILABLE, probability=1.0)
    injector.set_rule(LATENCY, probability=1.0, latency_ms=10)
    injector.clear(LATENCY)
    assert [rule["kind"] for rule in injector.describe()] == [SERVER_UNAVAILABLE]
    injector.clear()
    assert injector.describe() == []
    assert injector.decide(LEAD_PATH) == NO_FAULT


def test_describe_is_json_serialisable(injector: FaultInjector) -> None:
    injector.set_rule(UNABLE_TO_LOCK_ROW, probability=0.5, path_contains="/sobjects/")
    injector.set_rule(LATENCY, next_n=3, latency_ms=20)
    described = json.loads(json.dumps(injector.describe()))
    assert described == [
        {
            "kind": LATENCY,
            "probability": 0.0,
            "next_n": 3,
            "latency_ms": 20,
            "path_contains": None,
            "object": None,
            "fired": 0,
        },
        {
            "kind": UNABLE_TO_LOCK_ROW,
            "probability": 0.5,
            "next_n": 0,
            "latency_ms": 0,
            "path_contains": "/sobjects/",
            "object": None,
            "fired": 0,
        },
    ]


def test_set_rule_replaces_and_resets_counters(injector: FaultInjector) -> None:
    injector.set_rule(SERVER_UNAVAILABLE, next_n=5)
    injector.decide(LEAD_PATH)
    injector.set_rule(SERVER_UNAVAILABLE, next_n=1)
    assert injector.describe()[0]["next_n"] == 1
    assert injector.describe()[0]["fired"] == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "NOPE"},
        {"kind": SERVER_UNAVAILABLE, "probability": 1.5},
        {"kind": SERVER_UNAVAILABLE, "probability": -0.1},
        {"kind": SERVER_UNAVAILABLE, "next_n": -1},
        {"kind": LATENCY, "latency_ms": -5},
    ],
)
def test_set_rule_validates(injector: FaultInjector, kwargs: dict[str, object]) -> None:
    kind = str(kwargs.pop("kind"))
    with pytest.raises(ValueError):
        injector.set_rule(kind, **kwargs)  # type: ignore[arg-type]


def test_next_n_is_exact_under_concurrency(injector: FaultInjector) -> None:
    injector.set_rule(SERVER_UNAVAILABLE, next_n=100)
    results: list[str | None] = []
    lock = threading.Lock()

    def work() -> None:
        codes = _codes(injector, LEAD_PATH, 50)
        with lock:
            results.extend(codes)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(SERVER_UNAVAILABLE) == 100


# ---------------------------------------------------------------- per-record locks, cut replies


def test_a_record_rule_for_one_object_skips_the_others(injector: FaultInjector) -> None:
    injector.set_rule(RECORD_LOCK, next_n=1, sobject="lead")
    assert injector.record_lock(COLLECTION_PATH, None, "Contact") is None
    assert injector.record_lock(COLLECTION_PATH) is None  # object unknown: not a Lead
    assert injector.record_lock(COLLECTION_PATH, None, "Lead") is not None
    assert injector.describe()[0]["object"] == "lead"
    with pytest.raises(ValueError, match="object applies only to"):
        injector.set_rule(SERVER_UNAVAILABLE, next_n=1, sobject="Lead")


def test_bulk_shuffle_is_rolled_per_job_and_seeded(injector: FaultInjector) -> None:
    def shuffled(seed: int) -> tuple[list[list[str]], list[list[str]]]:
        injector.reseed(seed)
        injector.set_rule(BULK_SHUFFLE, next_n=1)
        successes = [[str(n)] for n in range(20)]
        failures = [[f"f{n}"] for n in range(20)]
        assert injector.shuffle_results("/jobs/ingest/750X", "Lead", successes, failures)
        assert not injector.shuffle_results("/jobs/ingest/750Y", "Lead", [], [])  # spent
        return successes, failures

    first = shuffled(3)
    assert first[0] != [[str(n)] for n in range(20)]
    assert sorted(first[1]) == sorted([f"f{n}"] for n in range(20))
    assert shuffled(3) == first
    assert injector.decide(COLLECTION_PATH) == NO_FAULT  # never a whole-request fault


def test_record_lock_is_rolled_per_record(injector: FaultInjector) -> None:
    injector.set_rule(RECORD_LOCK, next_n=2, path_contains="/composite/sobjects")
    assert injector.decide(COLLECTION_PATH) == NO_FAULT  # never a whole-request fault
    assert injector.record_lock("/services/data/v59.0/query") is None
    first = injector.record_lock(COLLECTION_PATH, "00Q5g000000001AAAA")
    assert first is not None
    assert (first.error_code, first.status) == (UNABLE_TO_LOCK_ROW, 400)
    assert first.message.endswith("1 records: 00Q5g000000001AAAA")
    assert injector.record_lock(COLLECTION_PATH) is not None
    assert injector.record_lock(COLLECTION_PATH) is None
    assert injector.describe()[0]["fired"] == 2


def test_connection_cut_is_decided_after_the_errors(injector: FaultInjector) -> None:
    injector.set_rule(CONNECTION_CUT, next_n=1)
    injector.set_rule(SERVER_UNAVAILABLE, next_n=1)
    first, second, third = (injector.decide(LEAD_PATH) for _ in range(3))
    assert (_code(first), first.cut) == (SERVER_UNAVAILABLE, False)
    assert (_code(second), second.cut) == (None, True)
    assert third == NO_FAULT


def test_latency_hits_a_fraction_of_requests() -> None:
    injector = FaultInjector(random.Random(11))
    injector.set_rule(LATENCY, probability=0.2, latency_ms=400)
    slow = sum(injector.decide(LEAD_PATH).latency_ms == 400 for _ in range(500))
    assert 60 < slow < 140


def _leads(count: int, tag: str) -> list[dict[str, object]]:
    return [
        {"attributes": {"type": "Lead"}, "LastName": f"{tag}{n}", "Company": "Acme"}
        for n in range(count)
    ]


def _live_leads(sandbox: SandboxClient, token: str) -> list[str]:
    response = sandbox.api("GET", "/query", token, params={"q": "SELECT LastName FROM Lead"})
    return sorted(record["LastName"] for record in response.json()["records"])


def test_record_lock_inside_a_200_collection_response(sandbox: SandboxClient) -> None:
    token = sandbox.token()
    sandbox.control("POST", "/faults", {"kind": "record_lock", "next_n": 2})
    response = sandbox.api(
        "POST", "/composite/sobjects", token, json={"allOrNone": False, "records": _leads(4, "L")}
    )
    assert response.status_code == 200
    results = response.json()
    assert [result["success"] for result in results] == [False, False, True, True]
    assert results[0]["errors"] == [
        {
            "statusCode": "UNABLE_TO_LOCK_ROW",
            "message": "unable to obtain exclusive access to this record or 1 records: record",
            "fields": [],
        }
    ]
    assert _live_leads(sandbox, token) == ["L2", "L3"]  # the others were saved
    (rule,) = sandbox.control("GET", "/faults")["faults"]
    assert (rule["kind"], rule["fired"]) == ("record_lock", 2)


def test_record_lock_on_an_update_names_the_record(sandbox: SandboxClient) -> None:
    token = sandbox.token()
    lead_id = sandbox.control(
        "POST", "/records/Lead", {"fields": {"LastName": "A", "Company": "B"}}
    )["id"]
    sandbox.control("POST", "/faults", {"kind": "record_lock", "next_n": 1})
    body = {"records": [{"attributes": {"type": "Lead"}, "id": lead_id, "Title": "CEO"}]}
    (result,) = sandbox.api("PATCH", "/composite/sobjects", token, json=body).json()
    assert result["success"] is False
    assert result["errors"][0]["message"].endswith(f"1 records: {lead_id}")


def test_record_lock_inside_a_composite_batch(sandbox: SandboxClient) -> None:
    token = sandbox.token()
    sandbox.control("POST", "/faults", {"kind": "record_lock", "next_n": 1})
    body = {
        "batchRequests": [
            {"method": "POST", "url": "v59.0/sobjects/Lead", "richInput": _leads(1, "B")[0]},
            {"method": "POST", "url": "v59.0/sobjects/Lead", "richInput": _leads(1, "C")[0]},
        ]
    }
    answer = sandbox.api("POST", "/composite/batch", token, json=body).json()
    assert answer["hasErrors"] is True
    assert answer["results"][0]["statusCode"] == 400
    assert answer["results"][0]["result"][0]["errorCode"] == "UNABLE_TO_LOCK_ROW"
    assert answer["results"][1]["statusCode"] == 201
    assert _live_leads(sandbox, token) == ["C0"]


def test_connection_cut_applies_the_write_then_drops_the_reply(sandbox: SandboxClient) -> None:
    token = sandbox.token()
    sandbox.control("POST", "/faults", {"kind": "connection_cut", "next_n": 1})
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        sandbox.api("POST", "/composite/sobjects", token, json={"records": _leads(2, "X")}).json()
    assert _live_leads(sandbox, token) == ["X0", "X1"]  # applied before the cut


def test_connection_cut_of_a_204(sandbox: SandboxClient) -> None:
    token = sandbox.token()
    lead_id = sandbox.control(
        "POST", "/records/Lead", {"fields": {"LastName": "A", "Company": "B"}}
    )["id"]
    sandbox.control("POST", "/faults", {"kind": "connection_cut", "next_n": 1})
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        sandbox.api("PATCH", f"/sobjects/Lead/{lead_id}", token, json={"Title": "CTO"})
    fetched = sandbox.api("GET", f"/sobjects/Lead/{lead_id}", token).json()
    assert fetched["Title"] == "CTO"


def test_unknown_fault_kind_is_refused(sandbox: SandboxClient) -> None:
    response = sandbox.http.post(
        f"{sandbox.instance_url}/__sandbox__/faults", json={"kind": "meteor"}
    )
    assert response.status_code == 400
    assert "record_lock" in response.json()[0]["message"]


def test_reseeding_replays_the_same_draws(sandbox: SandboxClient) -> None:
    def draws() -> list[bool]:
        injector = sandbox.server.backend.faults
        return [injector.record_lock(COLLECTION_PATH) is not None for _ in range(40)]

    sandbox.control("POST", "/faults", {"kind": "record_lock", "probability": 0.5, "seed": 9})
    first = draws()
    sandbox.control("POST", "/faults", {"seed": 9})
    assert draws() == first
    assert 5 < first.count(True) < 35
