"""Client lifecycle: settings changes, shared pools, copies, pickles, closing, event loops."""

from __future__ import annotations

import asyncio
import copy
import gc
import pickle
from typing import Any

import httpx
import pytest
from langchain_core.runnables import ConfigurableField
from pydantic import SecretStr

from langchain_hiapi import ChatHiAPI, HiAPIImageGenerationTool
from langchain_hiapi._client import HiAPIClient
from langchain_hiapi._pool import MAX_IDLE_POOLS
from tests._support.harness import pickled
from tests._support.wire import chat_reply

KEY = "sk-lifecycle-key-1"


class Backend:
    """Every httpx client the package creates talks to this in-process server."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.sync: list[httpx.Client] = []
        self.async_: list[httpx.AsyncClient] = []
        self.status = 200

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.status != 200:
            return httpx.Response(self.status, json={"error": {"message": "x", "code": ""}})
        return httpx.Response(200, json=chat_reply("ok", model="gpt-4o-mini"))

    @property
    def seen(self) -> list[tuple[str, str]]:
        return [(str(r.url.host), r.headers.get("authorization", "")) for r in self.requests]


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> Backend:
    state = Backend()
    transport = httpx.MockTransport(state)
    real_client, real_async = httpx.Client, httpx.AsyncClient

    def make_client(**kwargs: Any) -> httpx.Client:
        client = real_client(transport=transport, **kwargs)
        state.sync.append(client)
        return client

    def make_async(**kwargs: Any) -> httpx.AsyncClient:
        client = real_async(transport=transport, **kwargs)
        state.async_.append(client)
        return client

    monkeypatch.setattr(httpx, "Client", make_client)
    monkeypatch.setattr(httpx, "AsyncClient", make_async)
    return state


def model(**kwargs: Any) -> ChatHiAPI:
    kwargs.setdefault("api_key", KEY)
    kwargs.setdefault("base_url", "https://one.test/v1")
    return ChatHiAPI(model="gpt-4o-mini", **kwargs)


# ------------------------------------------------------------------------ item 1: settings


def test_model_copy_with_new_connection_settings_uses_them(backend: Backend) -> None:
    llm = model()
    llm.invoke("hi")
    llm.model_copy(update={"api_key": SecretStr("sk-other")}).invoke("hi")
    llm.model_copy(update={"base_url": "https://two.test/v1"}).invoke("hi")
    llm.invoke("hi")  # the original is unchanged
    assert backend.seen == [
        ("one.test", f"Bearer {KEY}"),
        ("one.test", "Bearer sk-other"),
        ("two.test", f"Bearer {KEY}"),
        ("one.test", f"Bearer {KEY}"),
    ]


def test_attribute_assignment_takes_effect_on_the_next_call(backend: Backend) -> None:
    llm = model()
    llm.invoke("hi")
    llm.api_key = SecretStr("sk-assigned")
    llm.invoke("hi")
    llm.default_headers = {"X-Team": "a"}
    llm.invoke("hi")
    assert llm.default_headers is not None
    llm.default_headers["X-Team"] = "b"  # changed in place
    llm.invoke("hi")
    assert backend.seen[1] == ("one.test", "Bearer sk-assigned")
    assert [r.headers.get("x-team") for r in backend.requests] == [None, None, "a", "b"]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_max_retries_change_takes_effect(backend: Backend, mode: str) -> None:
    backend.status = 502
    llm = model(max_retries=1)
    llm.client._sleep = lambda _: None

    async def no_sleep(_: float) -> None:
        return None

    llm.client._asleep = no_sleep
    once = llm.model_copy(update={"max_retries": 0})
    with pytest.raises(Exception, match="502"):
        await (once.ainvoke("hi") if mode == "async" else asyncio.to_thread(once.invoke, "hi"))
    assert len(backend.requests) == 1


def test_unchanged_settings_keep_the_same_client() -> None:
    llm = model()
    client = llm.client
    assert llm.client is client
    assert llm.bind(temperature=0).bound.client is client  # type: ignore[attr-defined]
    llm.temperature = 0.5  # not a connection setting
    assert llm.client is client


# ------------------------------------------------------------------------ item 2: copies


@pytest.mark.parametrize("used", ["never", "sync", "async"])
def test_deepcopy_and_pickle_before_and_after_use(backend: Backend, used: str) -> None:
    llm = model(timeout=httpx.Timeout(5.0, read=30.0))
    if used == "sync":
        llm.invoke("hi")
    elif used == "async":
        asyncio.run(llm.ainvoke("hi"))
    copied = copy.deepcopy(llm)
    revived = pickled(llm)
    for other in (copied, revived):
        assert other.model_dump() == llm.model_dump()
        other.invoke("hi")
    assert {host for host, _ in backend.seen} == {"one.test"}


def test_deepcopy_shares_your_http_client_and_pickle_refuses_it() -> None:
    mine = httpx.Client(transport=httpx.MockTransport(Backend()))
    llm = model(http_client=mine)
    llm.invoke("hi")
    assert copy.deepcopy(llm).http_client is mine
    with pytest.raises(TypeError, match="own http_client"):
        pickle.dumps(llm)
    assert not mine.is_closed


def test_hiapi_client_copies_and_pickles() -> None:
    client = HiAPIClient(base_url="https://one.test/v1", api_key=SecretStr(KEY), timeout=3.0)
    client.close()
    for other in (copy.deepcopy(client), pickled(client)):
        assert isinstance(other, HiAPIClient)
        # Kept as given: a number is also the overall budget of a call (issue 14).
        assert other._settings()["timeout"] == 3.0


# ------------------------------------------------------------------------ item 3: pools


def test_instances_with_the_same_settings_share_one_pool(backend: Backend) -> None:
    first, second = model(), model(temperature=0.3)
    first.invoke("hi")
    second.invoke("hi")
    model(api_key="sk-someone-else").invoke("hi")
    assert len(backend.sync) == 2  # one pool per key


def test_configurable_fields_reuse_the_shared_pool(backend: Backend) -> None:
    llm = model().configurable_fields(temperature=ConfigurableField(id="temperature"))
    for temperature in (0.1, 0.2, 0.3, 0.4):
        llm.invoke("hi", config={"configurable": {"temperature": temperature}})
    gc.collect()
    llm.invoke("hi", config={"configurable": {"temperature": 0.5}})
    assert len(backend.requests) == 5
    assert len(backend.sync) == 1


def test_close_closes_the_pool_when_its_last_user_goes(backend: Backend) -> None:
    first, second = model(), model()
    first.invoke("hi")
    second.invoke("hi")
    (pooled,) = backend.sync
    first.close()
    assert not pooled.is_closed  # still used by `second`
    with second:
        second.invoke("hi")
    assert pooled.is_closed
    second.invoke("hi")  # usable again: a new pool
    assert len(backend.sync) == 2


async def test_async_close_and_context_manager(backend: Backend) -> None:
    async with model() as llm:
        await llm.ainvoke("hi")
        (pooled,) = backend.async_
    assert pooled.is_closed


def test_your_http_clients_are_never_closed() -> None:
    transport = httpx.MockTransport(Backend())
    mine, mine_async = httpx.Client(transport=transport), httpx.AsyncClient(transport=transport)
    with model(http_client=mine, http_async_client=mine_async) as llm:
        llm.invoke("hi")
        asyncio.run(llm.ainvoke("hi"))
    asyncio.run(model(http_async_client=mine_async).aclose())
    assert not mine.is_closed and not mine_async.is_closed


def test_collected_models_leave_bounded_idle_pools(backend: Backend) -> None:
    for index in range(MAX_IDLE_POOLS + 3):
        model(base_url=f"https://h{index}.test/v1").invoke("hi")
    gc.collect()
    open_pools = [c for c in backend.sync if not c.is_closed]
    assert len(open_pools) == MAX_IDLE_POOLS  # the oldest idle pools were closed
    assert all(c.is_closed for c in backend.sync[:3])
    model(base_url=f"https://h{MAX_IDLE_POOLS + 2}.test/v1").invoke("hi")  # an idle pool
    assert len(backend.sync) == MAX_IDLE_POOLS + 3


def test_each_event_loop_gets_a_client_closed_when_the_loop_ends(backend: Backend) -> None:
    llm = model()
    asyncio.run(llm.ainvoke("hi"))
    asyncio.run(llm.ainvoke("hi"))
    assert len(backend.async_) == 2
    assert all(c.is_closed for c in backend.async_)  # closed by the loops' shutdown


# ------------------------------------------------------------------------ tools


def test_image_tool_follows_its_settings_and_closes(backend: Backend) -> None:
    tool = HiAPIImageGenerationTool(api_key=KEY, base_url="https://one.test/v1")
    first = tool.chat_model
    tool.api_key = SecretStr("sk-tool-2")
    assert tool.chat_model is not first
    assert tool.chat_model.api_key == SecretStr("sk-tool-2")
    assert tool.chat_model is tool.chat_model  # cached while nothing changes
    copy.deepcopy(tool)
    pickled(tool)
    with tool:
        tool.chat_model.invoke("hi")
    assert backend.sync[0].is_closed


def test_video_tool_follows_its_settings_and_closes(backend: Backend) -> None:
    from langchain_hiapi import HiAPIVideoGenerationTool

    # The video tool runs on the task API now (issue 12): its clients are HiAPITasks.
    tool = HiAPIVideoGenerationTool(api_key=KEY, base_url="https://one.test/v1")
    first = tool.tasks_client
    assert tool.tasks_client is first
    tool.base_url = "https://two.test/v1"
    second = tool.tasks_client
    assert second is not first and second.client.base_url == "https://two.test/v1"
    assert pickled(tool).args == tool.args
    copy.deepcopy(tool)
    with tool:
        second.client.request_json("GET", "/models")
    assert backend.sync[0].is_closed
    assert backend.seen == [("two.test", f"Bearer {KEY}")]


def test_tools_and_helpers_read_hiapi_api_base(monkeypatch: pytest.MonkeyPatch) -> None:
    from langchain_hiapi import HiAPIVideoGenerationTool
    from langchain_hiapi._oneshot import build_client

    monkeypatch.delenv("HIAPI_BASE_URL", raising=False)
    monkeypatch.setenv("HIAPI_API_BASE", "https://base.test/v1")
    assert HiAPIImageGenerationTool(api_key=KEY).base_url == "https://base.test/v1"
    assert HiAPIVideoGenerationTool(api_key=KEY).base_url == "https://base.test/v1"
    client = build_client(api_key=KEY, base_url=None, timeout=1.0, max_retries=0)
    assert client.base_url == "https://base.test/v1"
