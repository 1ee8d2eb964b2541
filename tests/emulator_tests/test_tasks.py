"""Emulator: the unified task API over real HTTP (envelope, lifecycle, detail, list, routes,
storage, callbacks' validation, failures, balance).

Outputs and files: test_task_outputs.py; idempotency and fault injection:
test_task_idempotency.py; callbacks: test_task_callbacks.py; rate limits:
test_task_ratelimit.py; schemas: test_task_models.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from langchain_hiapi.testing import HiAPIEmulator, TaskTiming
from tests._support.emulator import (
    TASK_ID,
    FakeClock,
    client_for,
    create,
    created_id,
    detail,
    error_of,
    poll_until_done,
)

KEY = "tasks-key"
OTHER = "other-account-key"
RUNNING_KEYS = {"taskId", "model", "status", "created", "completed", "storage"}


@pytest.fixture(scope="module")
def emu() -> Iterator[HiAPIEmulator]:
    with HiAPIEmulator(api_key=KEY, extra_api_keys=[OTHER]) as emulator:
        yield emulator


@pytest.fixture
def client(emu: HiAPIEmulator, http: httpx.Client) -> httpx.Client:
    emu.reset()
    emu.balance_exhausted = False
    emu.failing_models = ()
    return http


@pytest.fixture
def other(emu: HiAPIEmulator) -> Iterator[httpx.Client]:
    with client_for(emu.base_url, OTHER) as c:
        yield c


def _boat(client: httpx.Client, **top: Any) -> str:
    return created_id(create(client, "seedance-2.0", {"prompt": "a paper boat"}, **top))


# ---------------------------------------------------------------------------- create


def test_create_answers_the_envelope_with_a_35_char_task_id(client: httpx.Client) -> None:
    response = create(client, "seedance-2.0", {"prompt": "a paper boat", "duration": 5})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert "idempotent-replay" not in response.headers
    body = response.json()
    assert list(body) == ["code", "message", "data"]
    assert body["code"] == 200
    assert body["message"] == "success"
    assert list(body["data"]) == ["taskId"]
    task_id = body["data"]["taskId"]
    assert len(task_id) == 35
    assert TASK_ID.match(task_id)
    assert _boat(client) != task_id


def test_ids_are_ulids_in_creation_order(client: httpx.Client) -> None:
    ids = [_boat(client) for _ in range(3)]
    # The first 10 characters are the millisecond timestamp.
    assert [i[9:19] for i in ids] == sorted(i[9:19] for i in ids)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b"", "expected a JSON object"),
        (b'{"input": {}}', "missing properties: 'model'"),
        (b'{"model": "flux-1.1-pro"}', "missing properties: 'input'"),
        (b'{"model": "", "input": {}}', "model: expected a non-empty string"),
        (b'{"model": 5, "input": {}}', "model: expected a non-empty string"),
        (
            b'{"model": "flux-1.1-pro", "input": {}, "callback_url": "http://127.0.0.1/x"}',
            "additional properties 'callback_url' not allowed",
        ),
        (b'{"model": "flux-1.1-pro", "input": {}, "route": 3}', "route: expected string"),
        (
            b'{"model": "flux-1.1-pro", "input": {}, "storage": "forever"}',
            'storage: value must be one of "temp", "persistent"',
        ),
    ],
)
def test_bad_bodies_are_400_invalid_request(
    client: httpx.Client, body: bytes, fragment: str
) -> None:
    response = client.post("/tasks", content=body, headers={"Content-Type": "application/json"})
    assert fragment in error_of(response, 400, "INVALID_REQUEST")


@pytest.mark.parametrize(
    ("callback", "fragment"),
    [
        ("http://127.0.0.1/x", "callback: expected object"),
        ({}, "callback.url: missing"),
        ({"url": 5}, "callback.url: missing or not a string"),
        ({"url": "ftp://example.com/hook"}, "callback.url: must be a valid http(s) URL"),
        ({"url": "http:///hook"}, "callback.url: must be a valid http(s) URL"),
        ({"url": "http://127.0.0.1:99999/x"}, "callback.url: must be a valid http(s) URL"),
        (
            {"url": "https://example.com/h", "when": "always"},
            'callback.when: value must be one of "final"',
        ),
        (
            {"url": "https://example.com/h", "secret": "x"},
            "callback: additional properties 'secret' not allowed",
        ),
    ],
)
def test_bad_callbacks_are_400(client: httpx.Client, callback: Any, fragment: str) -> None:
    response = create(client, "seedance-2.0", {"prompt": "a boat"}, callback=callback)
    assert fragment in error_of(response, 400, "INVALID_REQUEST")


@pytest.mark.parametrize(
    "callback",
    [
        {"url": "https://example.com/hook"},
        {"url": "http://example.com/hook", "when": "final"},
        {"url": "http://127.0.0.1:9/hook"},
    ],
)
def test_http_and_https_callbacks_are_accepted(client: httpx.Client, callback: Any) -> None:
    _boat(client, callback=callback)


def test_auth_errors_use_the_task_envelope(emu: HiAPIEmulator) -> None:
    with httpx.Client(base_url=emu.base_url) as anonymous:
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {KEY}"}):
            for method, path in (("POST", "/tasks"), ("GET", "/tasks"), ("GET", "/tasks/x")):
                response = anonymous.request(
                    method, path, headers=headers, json={"model": "x", "input": {}}
                )
                error_of(response, 401, "UNAUTHORIZED")


def test_sk_prefix_is_ignored_like_new_api(emu: HiAPIEmulator) -> None:
    emu.reset()
    response = httpx.get(emu.base_url + "/tasks", headers={"Authorization": f"Bearer sk-{KEY}"})
    assert response.status_code == 200


# ---------------------------------------------------------------------------- lifecycle


def test_default_timing_walks_every_status_one_poll_each(client: httpx.Client) -> None:
    response = create(client, "seedance-2.0", {"prompt": "a paper boat"})
    task_id = created_id(response)
    seen = [detail(client, task_id) for _ in range(5)]
    assert [s["status"] for s in seen] == ["queued", "handling", "archiving", "success", "success"]
    for running in seen[:3]:
        assert set(running) == RUNNING_KEYS
        assert running["completed"] == 0
        assert running["taskId"] == task_id
        assert running["model"] == "seedance-2.0"
        assert running["storage"] == "temp"
        assert isinstance(running["created"], int)
    done = seen[3]
    assert list(done) == ["taskId", "model", "status", "created", "completed", "output", "storage"]
    assert done["completed"] >= done["created"] > 1_700_000_000
    assert seen[4] == done


def test_zero_timing_ends_on_the_first_poll() -> None:
    with (
        HiAPIEmulator(api_key=KEY, task_timing=TaskTiming(0, 0, 0)) as emu,
        client_for(emu.base_url, KEY) as client,
    ):
        task_id = created_id(create(client, "Nano-Banana", {"prompt": "a cat"}))
        assert detail(client, task_id)["status"] == "success"


def test_poll_timing_counts_polls_not_seconds() -> None:
    clock = FakeClock()
    timing = TaskTiming(queued=2, handling=1, archiving=0, clock=clock)
    with (
        HiAPIEmulator(api_key=KEY, task_timing=timing) as emu,
        client_for(emu.base_url, KEY) as client,
    ):
        task_id = created_id(create(client, "Nano-Banana", {"prompt": "a cat"}))
        clock.advance(3600)
        statuses = [detail(client, task_id)["status"] for _ in range(4)]
        assert statuses == ["queued", "queued", "handling", "success"]


def test_seconds_timing_follows_the_injected_clock() -> None:
    clock = FakeClock(1_800_000_000.25)
    timing = TaskTiming(queued=10, handling=20, archiving=5, unit="seconds", clock=clock)
    with (
        HiAPIEmulator(api_key=KEY, task_timing=timing) as emu,
        client_for(emu.base_url, KEY) as client,
    ):
        task_id = created_id(create(client, "happyhorse-1-0", {"prompt": "a horse"}))
        seen = []
        for step in (0, 9.5, 0.5, 19.5, 0.5, 4.5, 0.5):
            clock.advance(step)
            seen.append(detail(client, task_id))
        assert [s["status"] for s in seen] == [
            "queued",
            "queued",
            "handling",
            "handling",
            "archiving",
            "archiving",
            "success",
        ]
        assert seen[0]["created"] == 1_800_000_000
        assert seen[-1]["completed"] == 1_800_000_035
        # Polling more often does not speed it up.
        assert all(s["completed"] == 0 for s in seen[:-1])


def test_spread_staggers_the_end_of_tasks_created_together() -> None:
    clock = FakeClock(1_800_000_000.0)
    timing = TaskTiming(queued=0, handling=2, archiving=0, unit="seconds", spread=10, clock=clock)
    with (
        HiAPIEmulator(api_key=KEY, task_timing=timing) as emu,
        client_for(emu.base_url, KEY) as client,
    ):
        ids = [created_id(create(client, "Nano-Banana", {"prompt": f"cat {n}"})) for n in range(8)]
        ends = [2 + timing.extra_for(n) for n in range(1, 9)]
        assert all(2 <= end < 12 for end in ends)
        assert max(ends) - min(ends) > 7  # spread over most of the 10 s, not bunched
        for step in range(12):
            clock.advance(1)
            for task_id, end in zip(ids, ends, strict=True):
                done = detail(client, task_id)["status"] == "success"
                assert done == (step + 1 >= end), (task_id, step, end)


def test_detection_delays_measure_how_late_a_poll_saw_the_end() -> None:
    clock = FakeClock(1_800_000_000.0)
    timing = TaskTiming(queued=0, handling=5, archiving=0, unit="seconds", clock=clock)
    with (
        HiAPIEmulator(api_key=KEY, task_timing=timing) as emu,
        client_for(emu.base_url, KEY) as client,
    ):
        first = created_id(create(client, "Nano-Banana", {"prompt": "a cat"}))
        second = created_id(create(client, "Nano-Banana", {"prompt": "a dog"}))
        clock.advance(4)
        assert detail(client, first)["status"] == "handling"
        clock.advance(2.5)  # both ended 1.5 s ago
        assert detail(client, first)["status"] == "success"
        clock.advance(1)
        listed = client.get("/tasks", params={"size": 10}).json()["data"]["tasks"]
        assert {t["status"] for t in listed} == {"success"}
        detail(client, first)  # seen before: not counted again
        assert emu.task_stats().detection_delays == pytest.approx((1.5, 2.5))
        assert second in {t["taskId"] for t in listed}


def test_timing_is_validated() -> None:
    with pytest.raises(ValueError, match="unit"):
        TaskTiming(unit="minutes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="queued"):
        TaskTiming(queued=-1)
    with pytest.raises(ValueError, match="output_ttl"):
        TaskTiming(output_ttl=float("inf"))
    with pytest.raises(ValueError, match="spread needs unit='seconds'"):
        TaskTiming(spread=5)
    with pytest.raises(ValueError, match="spread"):
        TaskTiming(unit="seconds", spread=-1)


def test_fail_flag_ends_in_fail_with_an_error(client: httpx.Client) -> None:
    task_id = created_id(create(client, "seedance-2.0", {"prompt": "a boat [fail]"}))
    done = poll_until_done(client, task_id)
    assert done["status"] == "fail"
    assert done["error"] == {"code": "TASK_FAILED", "message": "upstream rejected the prompt"}
    assert "output" not in done
    assert done["completed"] > 0
    assert list(done) == ["taskId", "model", "status", "created", "completed", "error", "storage"]


def test_failing_models_fail_by_id_or_alias(emu: HiAPIEmulator, client: httpx.Client) -> None:
    emu.failing_models = {"seedance-2-0"}
    failed = created_id(create(client, "seedance-2.0", {"prompt": "a boat"}))
    ok = created_id(create(client, "Nano-Banana", {"prompt": "a cat"}))
    assert poll_until_done(client, failed)["status"] == "fail"
    assert poll_until_done(client, ok)["status"] == "success"
    emu.failing_models = {"Nano-Banana"}
    assert poll_until_done(client, _nano(client))["status"] == "fail"


def _nano(client: httpx.Client, **data: Any) -> str:
    return created_id(create(client, "Nano-Banana", {"prompt": "a cat", **data}))


def test_finish_tasks_ends_running_tasks(emu: HiAPIEmulator, client: httpx.Client) -> None:
    first, second = _boat(client), _boat(client)
    assert emu.finish_tasks([first]) == 1
    assert detail(client, first)["status"] == "success"
    assert detail(client, second)["status"] == "queued"
    assert emu.finish_tasks() == 1
    assert emu.finish_tasks() == 0


# ---------------------------------------------------------------------------- detail / list


def test_unknown_and_other_accounts_tasks_are_404(
    client: httpx.Client, other: httpx.Client
) -> None:
    mine = _boat(client)
    for task_id in ("tk-hiapi-01HZTQ8BX2N3GM3YFK4Z9D7VQR", "nope", mine + "x"):
        assert "not found" in error_of(client.get(f"/tasks/{task_id}"), 404, "NOT_FOUND")
    error_of(other.get(f"/tasks/{mine}"), 404, "NOT_FOUND")
    assert other.get("/tasks").json()["data"]["total"] == 0
    theirs = _boat(other)
    error_of(client.get(f"/tasks/{theirs}"), 404, "NOT_FOUND")
    assert detail(other, theirs)["taskId"] == theirs


def test_unknown_task_path_is_404(client: httpx.Client) -> None:
    error_of(client.delete(f"/tasks/{_boat(client)}"), 404, "NOT_FOUND")
    error_of(client.get("/tasks/a/b"), 404, "NOT_FOUND")


def test_list_is_newest_first_with_paging(client: httpx.Client) -> None:
    ids = [_boat(client) for _ in range(5)]
    body = client.get("/tasks", params={"page": 1, "size": 2}).json()
    assert body["code"] == 200
    assert body["message"] == "success"
    data = body["data"]
    assert list(data) == ["page", "size", "total", "tasks"]
    assert (data["page"], data["size"], data["total"]) == (1, 2, 5)
    assert [t["taskId"] for t in data["tasks"]] == [ids[4], ids[3]]
    third = client.get("/tasks", params={"page": 3, "size": 2}).json()["data"]
    assert [t["taskId"] for t in third["tasks"]] == [ids[0]]
    assert client.get("/tasks?page=4&size=2").json()["data"]["tasks"] == []
    full = client.get("/tasks?size=100").json()["data"]
    assert [t["taskId"] for t in full["tasks"]] == ids[::-1]
    for item in full["tasks"]:
        assert "input" not in item
        assert set(item) >= {"taskId", "model", "status", "created", "completed", "storage"}


@pytest.mark.parametrize(
    "query", ["", "?page=0", "?size=0", "?size=101", "?page=-1&size=500", "?page=x&size=y"]
)
def test_list_normalises_out_of_range_to_defaults(client: httpx.Client, query: str) -> None:
    data = client.get("/tasks" + query).json()["data"]
    assert (data["page"], data["size"]) == (1, 20)


def test_list_counts_as_a_poll_of_each_listed_task(client: httpx.Client) -> None:
    old, new = _boat(client), _boat(client)
    for _ in range(4):
        client.get("/tasks?size=1")
    assert detail(client, new)["status"] == "success"
    assert detail(client, old)["status"] == "queued"


def test_list_items_match_the_detail(client: httpx.Client) -> None:
    task_id = _boat(client)
    poll_until_done(client, task_id)
    item = client.get("/tasks").json()["data"]["tasks"][0]
    assert item == detail(client, task_id)


# ---------------------------------------------------------------------------- routes, storage


def test_route_is_echoed_and_model_resolved(client: httpx.Client) -> None:
    data = {"prompt": "a cat", "quality": "high"}
    ext = created_id(create(client, "gpt-image-2/text-to-image", data, route="ext"))
    task = detail(client, ext)
    assert task["model"] == "gpt-image-2/text-to-image@ext"
    assert task["route"] == "ext"
    alias = created_id(create(client, "gpt-image-2", data, route="ext"))
    assert detail(client, alias)["model"] == "gpt-image-2@ext"
    default = created_id(create(client, "gpt-image-2", {"prompt": "a cat"}, route="default"))
    assert detail(client, default)["model"] == "gpt-image-2"
    assert detail(client, default)["route"] == "default"


@pytest.mark.parametrize("top", [{}, {"route": ""}, {"route": None}])
def test_no_route_means_no_route_field(client: httpx.Client, top: dict[str, Any]) -> None:
    task = detail(client, created_id(create(client, "gpt-image-2", {"prompt": "a cat"}, **top)))
    assert "route" not in task
    assert task["model"] == "gpt-image-2"


def test_legacy_route_suffix_is_reported_as_sent(client: httpx.Client) -> None:
    data = {"prompt": "a cat", "size": "1024x1536"}
    task = detail(client, created_id(create(client, "gpt-image-2/text-to-image@beta", data)))
    assert task["model"] == "gpt-image-2/text-to-image@beta"
    assert "route" not in task
    same = created_id(create(client, "gpt-image-2/text-to-image@beta", data, route="beta"))
    assert detail(client, same)["route"] == "beta"


def test_persistent_storage_has_no_expiry(client: httpx.Client) -> None:
    task_id = _boat(client, storage="persistent")
    done = poll_until_done(client, task_id)
    assert done["storage"] == "persistent"
    assert all("expireAt" not in o for o in done["output"])
    temp = poll_until_done(client, _boat(client, storage="temp"))
    assert temp["storage"] == "temp"
    assert all(isinstance(o["expireAt"], int) for o in temp["output"])


# ---------------------------------------------------------------------------- balance


def test_exhausted_balance_is_402_and_creates_nothing(
    emu: HiAPIEmulator, client: httpx.Client
) -> None:
    emu.balance_exhausted = True
    response = create(client, "seedance-2.0", {"prompt": "a boat"})
    assert "balance" in error_of(response, 402, "INSUFFICIENT_QUOTA")
    assert emu.task_stats().tasks_created == 0
    assert client.get("/tasks").json()["data"]["total"] == 0


def test_exhausted_balance_per_model(emu: HiAPIEmulator, client: httpx.Client) -> None:
    emu.balance_exhausted = {"seedance-2.0"}
    error_of(create(client, "seedance-2-0", {"prompt": "a boat"}), 402, "INSUFFICIENT_QUOTA")
    _nano(client)
    assert emu.task_stats().tasks_created == 1


def test_bad_input_is_reported_before_balance(emu: HiAPIEmulator, client: httpx.Client) -> None:
    emu.balance_exhausted = True
    error_of(
        create(client, "seedance-2.0", {"prompt": "a boat", "seed": 1}), 400, "INVALID_REQUEST"
    )


# ---------------------------------------------------------------------------- counters


def test_counters(emu: HiAPIEmulator, client: httpx.Client) -> None:
    task_id = _boat(client)
    create(client, "seedance-2.0", {"prompt": "a boat", "seed": 1})
    detail(client, task_id)
    client.get("/tasks")
    client.get("/tasks")
    stats = emu.task_stats()
    assert (stats.create_requests, stats.tasks_created) == (2, 1)
    assert (stats.poll_requests, stats.detail_requests, stats.list_requests) == (3, 1, 2)
    body = client.get(emu.base_url.removesuffix("/v1") + "/_emulator/stats").json()
    assert body["tasks"]["tasks_created"] == 1
    assert body["tasks"]["poll_requests"] == 3
    assert httpx.get(emu.base_url.removesuffix("/v1") + "/_emulator/stats").status_code == 401
    emu.reset()
    assert emu.task_stats().create_requests == 0
