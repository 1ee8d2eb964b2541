"""Emulator HTTP behaviour: auth, routing, gateway errors, scripted faults, recording."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from langchain_hiapi.testing import DEFAULT_API_KEY, HiAPIEmulator, RecordedRequest, Reply

CHAT = "/chat/completions"


@pytest.fixture(scope="module")
def emu() -> Iterator[HiAPIEmulator]:
    with HiAPIEmulator(api_key="test-key") as emulator:
        yield emulator


def _chat(**extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}], **extra}


def _error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert {"message", "type", "code"} <= set(body["error"])
    return dict(body["error"])


def test_defaults() -> None:
    emulator = HiAPIEmulator()
    assert emulator.api_key == DEFAULT_API_KEY == "hiapi-emulator-key"


def test_base_url_and_models(emu: HiAPIEmulator, client: httpx.Client) -> None:
    assert emu.base_url == f"http://127.0.0.1:{emu.port}/v1"
    body = client.get("/models").json()
    assert body["object"] == "list"
    assert body["success"] is True
    ids = {m["id"] for m in body["data"]}
    assert {"Nano-Banana", "Nano-Banana-2", "Nano-Banana-Pro", "gpt-image-2"} <= ids
    assert {"gpt-4o-mini", "deepseek-r1", "gemini-2.5-flash"} <= ids
    for model in body["data"]:
        assert model["object"] == "model"
        assert model["supported_endpoint_types"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "x"}])
def test_auth_401(emu: HiAPIEmulator, headers: dict[str, str]) -> None:
    for method, path in (("POST", CHAT), ("GET", "/models")):
        response = httpx.request(method, emu.base_url + path, headers=headers, json=_chat())
        assert response.status_code == 401
        assert response.headers["x-oneapi-request-id"]
        error = _error(response)
        assert error["message"].startswith("Invalid token")
        assert error["type"] == "new_api_error"
        assert error["code"] == ""
        assert error["param"] == ""


def test_unknown_model_503(client: httpx.Client) -> None:
    response = client.post(CHAT, json=_chat(model="no-such-model"))
    assert response.status_code == 503
    error = _error(response)
    assert error["code"] == "model_not_found"
    assert "No available channel for model no-such-model" in error["message"]
    assert "(request id: " in error["message"]


@pytest.mark.parametrize(
    "extra_body",
    [
        {"google": {"imageConfig": {"aspect_ratio": "1:1"}}},
        {"google": {"image_config": {"aspectRatio": "1:1"}}},
        {"google": {"image_config": {"imageSize": "1K"}}},
        {"google": {"thinkingConfig": {"include_thoughts": True}}},
        {"google": {"thinking_config": {"thinkingBudget": 10}}},
        {"google": {"thinking_config": {"includeThoughts": True}}},
        {"google": {"thinking_config": {"thinkingLevel": "low"}}},
    ],
)
def test_camel_case_extra_body_500(client: httpx.Client, extra_body: dict[str, Any]) -> None:
    for model in ("Nano-Banana-Pro", "gemini-2.5-flash"):
        response = client.post(CHAT, json=_chat(model=model, extra_body=extra_body))
        assert response.status_code == 500
        error = _error(response)
        assert error["type"] == "new_api_error"
        assert error["code"] == "convert_request_failed"


def test_snake_case_extra_body_ok(client: httpx.Client) -> None:
    google = {"thinking_config": {"thinking_budget": 0, "include_thoughts": False}}
    response = client.post(
        CHAT, json=_chat(model="gemini-2.5-flash", extra_body={"google": google})
    )
    assert response.status_code == 200


def test_non_stream_shape(client: httpx.Client) -> None:
    response = client.post(CHAT, json=_chat())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    request_id = response.headers["x-oneapi-request-id"]
    body = response.json()
    assert body["id"] == f"chatcmpl-{request_id}"
    assert body["object"] == "chat.completion"
    assert body["model"] == "gpt-4o-mini"
    assert isinstance(body["created"], int)
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    assert "Hello" in choice["message"]["content"]
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens_details"]["cached_tokens"] == 0
    assert usage["completion_tokens_details"]["reasoning_tokens"] == 0


def test_bad_requests_400(client: httpx.Client) -> None:
    not_json = client.post(CHAT, content=b"{nope", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert _error(not_json)["type"] == "new_api_error"
    no_messages = client.post(CHAT, json={"model": "gpt-4o-mini"})
    assert no_messages.status_code == 400
    unknown_route = client.get("/nothing")
    assert unknown_route.status_code == 404
    _error(unknown_route)


def test_requests_recorded(emu: HiAPIEmulator, client: httpx.Client) -> None:
    client.post(CHAT, json=_chat(temperature=0.5))
    client.get("/models")
    recorded = emu.requests
    assert [(r.method, r.path) for r in recorded] == [
        ("POST", "/v1/chat/completions"),
        ("GET", "/v1/models"),
    ]
    first = recorded[0]
    assert isinstance(first, RecordedRequest)
    assert first.headers["authorization"] == "Bearer test-key"
    assert first.json["temperature"] == 0.5
    assert json.loads(first.body) == first.json
    assert recorded[1].json is None
    emu.reset()
    assert emu.requests == []


def test_keep_alive_reuses_connection(client: httpx.Client) -> None:
    peers = set()
    for _ in range(3):
        with client.stream("POST", CHAT, json=_chat(stream=True)) as response:
            response.read()
            stream = response.extensions["network_stream"]
            peers.add(stream.get_extra_info("client_addr"))
        response = client.post(CHAT, json=_chat())
        peers.add(response.extensions["network_stream"].get_extra_info("client_addr"))
    assert len(peers) == 1


# -- scripted replies -------------------------------------------------------------------


def test_reply_status_headers_and_body(emu: HiAPIEmulator, client: httpx.Client) -> None:
    body = {"error": {"message": "slow down", "type": "new_api_error", "code": ""}}
    emu.queue(Reply(status=429, body=body, headers={"Retry-After": "1"}))
    response = client.post(CHAT, json=_chat())
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert response.json() == body
    # Consumed: the next request is normal again.
    assert client.post(CHAT, json=_chat()).status_code == 200


def test_reply_status_only_sends_contract_error(emu: HiAPIEmulator, client: httpx.Client) -> None:
    emu.queue(Reply(status=403), Reply(status=500))
    forbidden = client.get("/models")
    assert forbidden.status_code == 403
    assert _error(forbidden)["code"] == "insufficient_user_quota"
    server_error = client.post(CHAT, json=_chat())
    assert server_error.status_code == 500
    assert _error(server_error)["code"] == "empty_response"


def test_reply_text_and_bytes_bodies(emu: HiAPIEmulator, client: httpx.Client) -> None:
    emu.queue(
        Reply(status=502, body="<html>bad gateway</html>", content_type="text/html"),
        Reply(status=200, body=b'{"ok": true}'),
    )
    html = client.post(CHAT, json=_chat())
    assert html.status_code == 502
    assert html.headers["content-type"] == "text/html"
    assert html.text == "<html>bad gateway</html>"
    assert client.post(CHAT, json=_chat()).json() == {"ok": True}


def test_replies_are_fifo(emu: HiAPIEmulator, client: httpx.Client) -> None:
    emu.queue(Reply(status=429))
    emu.queue(Reply(status=503))
    codes = [client.post(CHAT, json=_chat()).status_code for _ in range(3)]
    assert codes == [429, 503, 200]


def test_reply_delay_read_timeout(emu: HiAPIEmulator, client: httpx.Client) -> None:
    emu.queue(Reply(delay=1.0))
    with pytest.raises(httpx.ReadTimeout):
        client.post(CHAT, json=_chat(), timeout=0.2)
    emu.queue(Reply(delay=0.2))
    start = time.monotonic()
    response = client.post(CHAT, json=_chat())
    assert response.status_code == 200
    assert "Hello" in response.json()["choices"][0]["message"]["content"]
    assert time.monotonic() - start >= 0.2


def _events(response: httpx.Response) -> list[str]:
    return [line[6:] for line in response.iter_lines() if line.startswith("data: ")]


def test_stream_cut_after(emu: HiAPIEmulator, client: httpx.Client) -> None:
    emu.queue(Reply(stream_cut_after=3))
    seen: list[str] = []

    def read_all() -> None:
        with client.stream("POST", CHAT, json=_chat(stream=True)) as response:
            seen.extend(line for line in response.iter_lines() if line.startswith("data: "))

    with pytest.raises(httpx.RemoteProtocolError):
        read_all()
    assert len(seen) == 3
    # The server recovers; a fresh connection works.
    assert client.post(CHAT, json=_chat()).status_code == 200


def test_non_stream_cut(emu: HiAPIEmulator, client: httpx.Client) -> None:
    emu.queue(Reply(stream_cut_after=1))
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(CHAT, json=_chat())


def test_done_without_finish(emu: HiAPIEmulator, client: httpx.Client) -> None:
    emu.queue(Reply(done_without_finish=True))
    with client.stream("POST", CHAT, json=_chat(stream=True)) as response:
        events = _events(response)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["choices"] and c["choices"][0]["finish_reason"] is None for c in chunks)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)


def test_malformed_json_stream(emu: HiAPIEmulator, client: httpx.Client) -> None:
    emu.queue(Reply(malformed_json=True))
    with client.stream("POST", CHAT, json=_chat(stream=True)) as response:
        events = _events(response)
    bad = []
    for event in events[:-1]:
        try:
            json.loads(event)
        except ValueError:
            bad.append(event)
    assert len(bad) == 1


def test_malformed_json_non_stream(emu: HiAPIEmulator, client: httpx.Client) -> None:
    emu.queue(Reply(malformed_json=True))
    response = client.post(CHAT, json=_chat())
    assert response.status_code == 200
    with pytest.raises(ValueError):  # noqa: PT011
        response.json()


def test_ping_lines() -> None:
    with HiAPIEmulator(ping=True) as emulator:
        headers = {"Authorization": f"Bearer {emulator.api_key}"}
        with httpx.stream(
            "POST", emulator.base_url + CHAT, json=_chat(stream=True), headers=headers
        ) as response:
            lines = list(response.iter_lines())
    assert ": PING" in lines
    assert lines[-1] == "data: [DONE]" or lines[-2] == "data: [DONE]"


def test_latency() -> None:
    with HiAPIEmulator(latency=0.15) as emulator:
        start = time.monotonic()
        httpx.get(emulator.base_url + "/models")
        assert time.monotonic() - start >= 0.15


def test_concurrent_requests(emu: HiAPIEmulator, client: httpx.Client) -> None:
    emu.queue(*[Reply(delay=0.2) for _ in range(8)])
    start = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: client.post(CHAT, json=_chat()).status_code, range(8)))
    assert codes == [200] * 8
    assert time.monotonic() - start < 1.2  # served in parallel
    assert len(emu.requests) == 8


def test_stop_is_fast_with_open_connections() -> None:
    emulator = HiAPIEmulator().start()
    client = httpx.Client(headers={"Authorization": f"Bearer {emulator.api_key}"})
    client.get(emulator.base_url + "/models")  # leaves a keep-alive connection open
    emulator.queue(Reply(delay=30))
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(httpx.get, emulator.base_url + "/models", timeout=10)
        time.sleep(0.2)  # the delayed request is now sleeping in the server
        start = time.monotonic()
        emulator.stop()
        emulator.stop()  # idempotent
        assert time.monotonic() - start < 2
        with pytest.raises(httpx.TransportError):
            pending.result()
    with pytest.raises(httpx.TransportError):
        client.get(emulator.base_url + "/models", timeout=1)
    client.close()


# ------------------------------------------------------------------------ corrected contract (§4)


def _stream_events(client: httpx.Client, body: dict[str, Any]) -> list[Any]:
    with client.stream("POST", CHAT, json={**body, "stream": True}) as response:
        assert response.status_code == 200
        lines = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    return [line if line == "[DONE]" else json.loads(line) for line in lines]


@pytest.mark.parametrize(
    ("options", "usage_sent"),
    [(None, True), ({"include_usage": True}, True), ({}, False), ({"include_usage": False}, False)],
)
def test_usage_chunk_only_when_asked_or_by_default(
    client: httpx.Client, options: Any, usage_sent: bool
) -> None:
    body = _chat() if options is None else _chat(stream_options=options)
    events = _stream_events(client, body)
    assert any(e != "[DONE]" and e["choices"] == [] for e in events) is usage_sent


def test_prompt_with_blocked_flag_is_400_prompt_blocked(client: httpx.Client) -> None:
    body = _chat(messages=[{"role": "user", "content": "draw [blocked] things"}])
    response = client.post(CHAT, json=body)
    assert response.status_code == 400
    error = _error(response)
    assert error["type"] == error["code"] == "prompt_blocked"
    assert "(request id:" not in error["message"]


def test_scripted_legacy_blocked_prompt_shapes(emu: HiAPIEmulator, client: httpx.Client) -> None:
    emu.queue(Reply(prompt_blocked=True), Reply(prompt_blocked=True))
    plain = client.post(CHAT, json=_chat())
    assert plain.status_code == 200
    assert plain.json()["choices"] == []
    events = _stream_events(client, _chat())
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert chunks[1]["choices"] == [] and chunks[1]["usage"] is None  # the block
    assert chunks[2]["choices"] == [] and chunks[2]["usage"]  # the usage chunk
    assert not any(c["choices"] and c["choices"][0]["finish_reason"] for c in chunks)


def test_text_after_the_last_image_of_a_part_is_dropped(client: httpx.Client) -> None:
    png = (
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ"
        "/pLvAAAAAElFTkSuQmCC"
    )
    text = f"keep this ![image](data:image/png;base64,{png}) dropped tail"
    body = _chat(messages=[{"role": "user", "content": [{"type": "text", "text": text}]}])
    content = client.post(CHAT, json=body).json()["choices"][0]["message"]["content"]
    assert "keep this" in content
    assert "dropped tail" not in content


def test_402_is_insufficient_balance(emu: HiAPIEmulator, client: httpx.Client) -> None:
    emu.queue(Reply(status=402))
    response = client.post(CHAT, json=_chat())
    assert response.status_code == 402
    assert _error(response)["code"] == "insufficient_user_quota"


def test_chat_refused_models_answer_model_not_found_like_new_api() -> None:
    with HiAPIEmulator(api_key="k", chat_refused_models={"Nano-Banana"}) as emulator:
        headers = {"Authorization": "Bearer k"}
        image = {"model": "Nano-Banana", "messages": [{"role": "user", "content": "a cat"}]}
        refused = httpx.post(emulator.base_url + CHAT, json=image, headers=headers)
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "model_not_found"
        assert "Nano-Banana" in refused.json()["error"]["message"]
        other = httpx.post(emulator.base_url + CHAT, json=_chat(), headers=headers)
        assert other.status_code == 200
        emulator.chat_refused_models = frozenset()
        assert httpx.post(emulator.base_url + CHAT, json=image, headers=headers).status_code == 200
