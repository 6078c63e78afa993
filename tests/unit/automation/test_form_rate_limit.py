"""The per-client token bucket behind the form endpoint's 429."""

from __future__ import annotations

import pytest

from leadbridge.api import rate_limit
from leadbridge.api.rate_limit import RateLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_rate_then_the_wait_until_the_next_token() -> None:
    time = FakeTime()
    limiter = RateLimiter(per_minute=30, burst=3, now=time)
    assert [limiter.take("1.2.3.4") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("1.2.3.4") == 2  # one token every 2 s
    assert limiter.take("5.6.7.8") == 0  # another client has its own bucket
    time.now += 2
    assert limiter.take("1.2.3.4") == 0
    assert limiter.take("1.2.3.4") == 2
    time.now += 3600
    assert [limiter.take("1.2.3.4") for _ in range(4)] == [0, 0, 0, 2]  # refills to burst only


def test_buckets_are_bounded_in_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rate_limit, "MAX_CLIENTS", 3)
    time = FakeTime()
    limiter = RateLimiter(per_minute=60, burst=1, now=time)
    for client in ("a", "b", "c"):
        assert limiter.take(client) == 0
    time.now += 1  # a, b and c have refilled: forgetting them changes nothing
    assert limiter.take("d") == 0
    assert len(limiter._buckets) == 1


@pytest.mark.parametrize(("per_minute", "burst"), [(0, 1), (30, 0), (-1, 5)])
def test_a_limit_that_lets_nothing_through_is_refused(per_minute: float, burst: int) -> None:
    with pytest.raises(ValueError, match="positive rate"):
        RateLimiter(per_minute, burst)
