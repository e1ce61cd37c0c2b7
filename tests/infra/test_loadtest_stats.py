"""The load-test report's arithmetic: exact pooled percentiles from the per-request samples."""

from __future__ import annotations

from pathlib import Path

from infra.loadtest.stats import CHAT_PREFIX, pooled, read_samples


def write(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "samples.csv"
    path.write_text("start_s,name,ms,ok\n" + "\n".join(rows) + "\n")
    return path


def test_samples_are_read_as_start_name_and_milliseconds(tmp_path: Path) -> None:
    path = write(tmp_path, ["1.5,POST /v1/chat [search],12.25,1", "2.0,GET /conversation,3.00,1"])
    assert read_samples(path) == [(1.5, "POST /v1/chat [search]", 12.25), (2.0, "GET /conversation", 3.0)]


def test_a_slow_rare_endpoint_shows_in_the_pooled_p95() -> None:
    # 90 fast chat turns at 10 ms and 10 slow checkouts at 500 ms: an average of the per-endpoint
    # p95s weighted by count gives 0.9*10 + 0.1*500 = 59 ms; the true p95 of all requests is 500.
    samples = [(0.0, "POST /v1/chat [search]", 10.0)] * 90 + [(0.0, "POST /checkout", 500.0)] * 10
    assert pooled(samples).p95_ms == 500.0
    assert pooled(samples).n == 100


def test_the_chat_prefix_selects_only_chat_turns() -> None:
    samples = [
        (0.0, "POST /v1/chat [search]", 10.0),
        (0.0, "POST /v1/chat [refine]", 30.0),
        (0.0, "POST /checkout", 900.0),
    ]
    chat = pooled(samples, CHAT_PREFIX)
    assert (chat.n, chat.p50_ms, chat.p99_ms) == (2, 20.0, 29.8)


def test_no_samples_give_zero_not_an_error() -> None:
    assert pooled([], CHAT_PREFIX).n == 0


def test_stage_latencies_are_split_by_the_run_that_logged_them() -> None:
    from datetime import UTC, datetime, timedelta

    from infra.loadtest.run import within

    t = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    logged = [
        (t, {"embed": 1.0}),
        (t + timedelta(seconds=30), {"embed": 2.0}),
        (t + timedelta(seconds=61), {"embed": 3.0}),
    ]
    assert within(logged, (t, t + timedelta(seconds=60))) == [{"embed": 1.0}, {"embed": 2.0}]
