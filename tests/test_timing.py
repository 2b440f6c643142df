"""Side-by-side timing: every candidate runs as often as the others, blocks alternate
and rotate, and the medians are of what was timed. No speed is asserted."""

import pytest

from tinygrad_bn import timing


@pytest.fixture
def no_pause(monkeypatch):
    monkeypatch.setattr(timing, "SETTLE_SECONDS", 0.0)
    monkeypatch.setattr(timing, "WARM_SECONDS", 0.0)


def test_time_apart_alternates_blocks_and_rotates_the_order(no_pause):
    calls = []
    candidates = {name: (lambda name=name: calls.append(name)) for name in "abc"}
    medians = timing.time_apart(candidates, rounds=3, block=2)
    assert set(medians) == set("abc") and all(seconds >= 0 for seconds in medians.values())
    per_block = 1 + 2  # one untimed call (no warming time), then the timed block
    blocks = [calls[i] for i in range(0, len(calls), per_block)]
    assert all(calls[i: i + per_block] == [calls[i]] * per_block for i in range(0, len(calls), per_block))
    assert blocks == list("abc" "bca" "cab")


def test_time_apart_reports_the_median_of_the_timed_calls(no_pause, monkeypatch):
    clock = iter(range(1000))
    monkeypatch.setattr(timing.time, "perf_counter", lambda: next(clock))
    durations = {"slow": 0}

    def slow():
        next(clock)  # every call of slow takes one extra tick
        durations["slow"] += 1

    medians = timing.time_apart({"fast": lambda: None, "slow": slow}, rounds=2, block=3)
    assert medians == {"fast": 1, "slow": 2}
    assert durations["slow"] == 2 * (1 + 3)


def test_formats():
    assert timing.format_ms(0.0123456) == "  12.346 ms"
    assert timing.format_us(6.35e-6) == "    6.35 µs"


def test_each_block_is_warmed_up_for_warm_seconds_before_it_is_timed(monkeypatch):
    monkeypatch.setattr(timing, "SETTLE_SECONDS", 0.0)
    monkeypatch.setattr(timing, "WARM_SECONDS", 5.0)
    now = [0.0]
    monkeypatch.setattr(timing.time, "perf_counter", lambda: now[0])
    calls = []

    def step():  # each call takes one second of the fake clock
        calls.append(now[0])
        now[0] += 1.0

    timing.time_apart({"step": step}, rounds=2, block=3)
    assert len(calls) == 2 * (5 + 3)  # five seconds of untimed calls, then the block of three
