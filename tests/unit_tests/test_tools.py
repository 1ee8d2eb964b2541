"""HiAPIImageGenerationTool over httpx.MockTransport: schema, requests, results, errors."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import ToolException
from pydantic import SecretStr

import langchain_hiapi
from langchain_hiapi import AuthenticationError, ChatHiAPI
from langchain_hiapi.image_config import ASPECT_RATIOS, IMAGE_SIZES
from langchain_hiapi.tools import HiAPIImageGenerationTool, image_dimensions
from tests._support import transports
from tests._support.transports import mock_chat
from tests._support.wire import chat_reply, jpeg_header, markdown_image, png_b64, png_bytes

KEY = "sk-unit-test-secret-key-123"
PNG = png_b64(16, 9)
IMAGE_REPLY = chat_reply(f"Here is your fox\n{markdown_image(PNG)}", model="gemini-2.5-flash-image")


class Recorder(transports.Recorder):
    """Answers the image reply when given nothing else."""

    def __init__(self, *answers: httpx.Response) -> None:
        super().__init__(*(answers or (httpx.Response(200, json=IMAGE_REPLY),)))


def error_answer(status: int, code: str | int = "", message: str = "failed") -> httpx.Response:
    body = {"error": {"message": message, "type": "new_api_error", "param": "", "code": code}}
    return httpx.Response(status, json=body)


def make_llm(rec: Recorder, **kwargs: Any) -> ChatHiAPI:
    return mock_chat(httpx.MockTransport(rec), api_key=SecretStr(KEY), **kwargs)


def make_tool(rec: Recorder, **kwargs: Any) -> HiAPIImageGenerationTool:
    llm_kwargs = {k: kwargs.pop(k) for k in ("model",) if k in kwargs}
    return HiAPIImageGenerationTool(llm=make_llm(rec, **llm_kwargs), **kwargs)


def call(tool: HiAPIImageGenerationTool, **args: Any) -> ToolMessage:
    result = tool.invoke({"type": "tool_call", "id": "call_1", "name": tool.name, "args": args})
    assert isinstance(result, ToolMessage)
    return result


async def acall(tool: HiAPIImageGenerationTool, **args: Any) -> ToolMessage:
    result = await tool.ainvoke(
        {"type": "tool_call", "id": "call_1", "name": tool.name, "args": args}
    )
    assert isinstance(result, ToolMessage)
    return result


def sent_content(rec: Recorder) -> Any:
    return rec.bodies[-1]["messages"][0]["content"]


# ------------------------------------------------------------------------ schema


def test_schema_offers_the_allowed_values_as_enums() -> None:
    tool = make_tool(Recorder())
    schema = tool.tool_call_schema.model_json_schema()  # type: ignore[union-attr]
    props = schema["properties"]
    assert schema["required"] == ["prompt"]
    ratio = next(b for b in props["aspect_ratio"]["anyOf"] if b.get("type") == "string")
    size = next(b for b in props["image_size"]["anyOf"] if b.get("type") == "string")
    assert tuple(ratio["enum"]) == ASPECT_RATIOS
    assert tuple(size["enum"]) == IMAGE_SIZES
    assert props["images"]["anyOf"][0] == {"items": {"type": "string"}, "type": "array"}
    assert tool.name == "generate_image"
    assert "Nano-Banana" in tool.description
    assert "image_size for this model: 1K." in tool.description


def test_text_only_tool_has_no_images_argument() -> None:
    tool = make_tool(Recorder(), allow_input_images=False)
    props = tool.tool_call_schema.model_json_schema()["properties"]  # type: ignore[union-attr]
    assert set(props) == {"prompt", "aspect_ratio", "image_size"}
    assert "edit" not in tool.description


def test_description_lists_the_sizes_of_the_model() -> None:
    tool = make_tool(Recorder(), model="Nano-Banana-Pro")
    assert tool.model == "Nano-Banana-Pro"
    assert "image_size for this model: 1K, 2K, 4K." in tool.description


def test_lazy_package_export() -> None:
    assert langchain_hiapi.HiAPIImageGenerationTool is HiAPIImageGenerationTool
    assert "HiAPIImageGenerationTool" in langchain_hiapi.__all__
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = langchain_hiapi.Nope


def test_tools_keep_their_public_paths_and_lc_namespace() -> None:
    # The tools moved into the tools/ package; their first homes and lc ids stay.
    from langchain_hiapi import task_tool, tools, video

    assert tools.HiAPITaskTool is task_tool.HiAPITaskTool is langchain_hiapi.HiAPITaskTool
    assert tools.HiAPIVideoGenerationTool is video.HiAPIVideoGenerationTool
    assert HiAPIImageGenerationTool.get_lc_namespace() == ["langchain_hiapi", "tools"]
    assert task_tool.HiAPITaskTool.get_lc_namespace() == ["langchain_hiapi", "task_tool"]
    assert task_tool.TaskToolBase.get_lc_namespace() == ["langchain_hiapi", "task_tool"]
    assert video.HiAPIVideoGenerationTool.get_lc_namespace() == ["langchain_hiapi", "video"]
    assert HiAPIImageGenerationTool.lc_id() == [
        "langchain_hiapi",
        "tools",
        "HiAPIImageGenerationTool",
    ]

    class MyTool(task_tool.HiAPITaskTool):
        pass

    assert MyTool.get_lc_namespace() == __name__.split(".")


# ------------------------------------------------------------------------ construction


def test_builds_its_chat_model_from_the_connection_fields() -> None:
    tool = HiAPIImageGenerationTool(
        model="Nano-Banana-2",
        api_key="k-1",
        base_url="http://hiapi.test/v1",
        timeout=12.5,
        max_retries=4,
    )
    llm = tool.chat_model
    assert (llm.model_name, llm.base_url, llm.timeout, llm.max_retries) == (
        "Nano-Banana-2",
        "http://hiapi.test/v1",
        12.5,
        4,
    )
    assert llm.api_key is not None
    assert llm.api_key.get_secret_value() == "k-1"


def test_llm_and_connection_fields_are_exclusive() -> None:
    with pytest.raises(ValueError, match=r"either llm or the connection settings \['model'\]"):
        HiAPIImageGenerationTool(llm=make_llm(Recorder()), model="Nano-Banana-Pro")


def test_default_image_config_is_checked_against_the_model() -> None:
    with pytest.raises(ValueError, match="'2K' is not supported by model 'Nano-Banana'"):
        HiAPIImageGenerationTool(api_key="k", image_config={"image_size": "2K"})


@pytest.mark.parametrize("prefix", ["", "../evil", "a/b", "a\\b", "my cat", ".hidden"])
def test_bad_file_prefix_is_refused_before_any_request(prefix: str) -> None:
    with pytest.raises(ValueError, match="file_prefix must be a file name"):
        make_tool(Recorder(), file_prefix=prefix)


# ------------------------------------------------------------------------ requests and results


def test_request_carries_prompt_and_merged_image_config() -> None:
    rec = Recorder()
    tool = make_tool(rec, model="Nano-Banana-Pro", image_config={"image_size": "2K"})
    call(tool, prompt="a red fox in the snow", aspect_ratio="16:9")
    body = rec.bodies[0]
    assert body["model"] == "Nano-Banana-Pro"
    assert body["messages"] == [{"role": "user", "content": "a red fox in the snow"}]
    assert body["extra_body"] == {
        "google": {"image_config": {"image_size": "2K", "aspect_ratio": "16:9"}}
    }


def test_content_is_short_text_and_artifact_holds_the_image(tmp_path: Path) -> None:
    tool = make_tool(Recorder(), save_dir=tmp_path)
    message = call(tool, prompt="a red fox")
    assert message.status == "success"
    assert isinstance(message.content, str)
    assert PNG[:40] not in message.content  # no base64 for the model
    assert len(message.content) < 400
    saved = tmp_path / "image-1.png"
    assert message.content.startswith("Generated 1 image with Nano-Banana: 16x9 image/png")
    assert f"saved to {saved}" in message.content
    assert 'The model said: "Here is your fox"' in message.content
    artifact = message.artifact
    assert artifact["paths"] == [str(saved)]
    assert artifact["sizes"] == [(16, 9)]
    assert artifact["model"] == "Nano-Banana"
    assert artifact["text"] == "Here is your fox"
    assert artifact["route"] == "chat"
    assert artifact["urls"] == [None]
    [block] = artifact["images"]
    assert block["type"] == "image"
    assert block["mime_type"] == "image/png"
    assert "base64" not in block  # saved to a file: agent state stays small (issue 12)
    assert saved.read_bytes() == base64.b64decode(PNG)
    with_data = call(make_tool(Recorder(), save_dir=tmp_path, include_base64=True), prompt="x")
    assert base64.b64decode(with_data.artifact["images"][0]["base64"]) == base64.b64decode(PNG)


def test_image_without_url_or_file_keeps_its_bytes_in_the_artifact() -> None:
    # The chat route gives no URL: without save_dir the bytes are the only copy.
    [block] = call(make_tool(Recorder()), prompt="a fox").artifact["images"]
    assert base64.b64decode(block["base64"]) == base64.b64decode(PNG)


def test_without_save_dir_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    message = call(make_tool(Recorder()), prompt="a fox")
    assert message.artifact["paths"] == []
    assert "not saved to a file" in str(message.content)
    assert list(tmp_path.iterdir()) == []


def test_saving_never_overwrites_an_existing_file(tmp_path: Path) -> None:
    existing = tmp_path / "fox-1.png"
    existing.write_bytes(b"precious")
    tool = make_tool(Recorder(), save_dir=tmp_path, file_prefix="fox")
    first = call(tool, prompt="a fox")
    second = call(tool, prompt="a fox")
    assert existing.read_bytes() == b"precious"
    assert first.artifact["paths"] == [str(tmp_path / "fox-2.png")]
    assert second.artifact["paths"] == [str(tmp_path / "fox-3.png")]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files


def test_return_images_in_content_puts_image_blocks_in_the_content() -> None:
    message = call(make_tool(Recorder(), return_images_in_content=True), prompt="a fox")
    assert isinstance(message.content, list)
    text, image = message.content
    assert isinstance(text, dict)
    assert text["type"] == "text"
    assert "The image data follows." in text["text"]
    assert image == message.artifact["images"][0]
    assert image["base64"] == PNG


def test_invoke_with_plain_args_returns_the_content_text() -> None:
    content = make_tool(Recorder()).invoke({"prompt": "a fox"})
    assert isinstance(content, str)
    assert content.startswith("Generated 1 image")


def test_two_images_are_all_reported(tmp_path: Path) -> None:
    jpeg = jpeg_header(20, 10)
    reply = chat_reply(
        f"One\n{markdown_image(PNG)}\nTwo\n"
        + markdown_image(base64.b64encode(jpeg).decode(), "image/jpeg")
    )
    message = call(
        make_tool(Recorder(httpx.Response(200, json=reply)), save_dir=tmp_path), prompt="x"
    )
    assert "Generated 2 images" in str(message.content)
    assert "16x9 image/png" in str(message.content)
    assert "20x10 image/jpeg" in str(message.content)
    assert [Path(p).suffix for p in message.artifact["paths"]] == [".png", ".jpg"]


async def test_async_generation_saves_and_reports(tmp_path: Path) -> None:
    rec = Recorder()
    message = await acall(make_tool(rec, save_dir=tmp_path), prompt="a fox", aspect_ratio="3:2")
    assert message.status == "success"
    assert message.artifact["paths"] == [str(tmp_path / "image-1.png")]
    assert rec.bodies[0]["extra_body"]["google"]["image_config"] == {"aspect_ratio": "3:2"}


# ------------------------------------------------------------------------ input images


def test_local_files_are_sent_as_base64_with_their_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # input files are read from the working directory by default
    png_file = tmp_path / "in.png"
    png_file.write_bytes(png_bytes(2, 2))
    jpeg_file = tmp_path / "photo.dat"  # the type comes from the bytes, not the name
    jpeg_file.write_bytes(jpeg_header(3, 3))
    rec = Recorder()
    call(make_tool(rec), prompt="combine them", images=[str(png_file), str(jpeg_file)])
    text, first, second = sent_content(rec)
    assert text == {"type": "text", "text": "combine them"}
    png_url = "data:image/png;base64," + base64.b64encode(png_bytes(2, 2)).decode()
    assert first == {"type": "image_url", "image_url": {"url": png_url}}
    assert second["image_url"]["url"].startswith("data:image/jpeg;base64,/9j/")


def test_urls_and_data_uris_are_passed_on() -> None:
    rec = Recorder()
    data_uri = "data:image/png;base64," + PNG
    call(make_tool(rec), prompt="edit", images=["https://example.com/cat.webp", data_uri])
    _, url_part, data_part = sent_content(rec)
    assert url_part["image_url"]["url"] == "https://example.com/cat.webp"
    assert data_part["image_url"]["url"] == data_uri


async def test_async_reads_input_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "in.png"
    path.write_bytes(png_bytes(2, 2))
    rec = Recorder()
    message = await acall(make_tool(rec), prompt="edit", images=[str(path)])
    assert message.status == "success"
    assert sent_content(rec)[1]["image_url"]["url"].startswith("data:image/png;base64,")


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        # Issue 14: a missing file, a non-image and a directory get the same answer.
        ("missing", "is not a readable PNG, JPEG, WebP, HEIC or HEIF image file"),
        ("text", "is not a readable PNG, JPEG, WebP, HEIC or HEIF image file"),
        ("directory", "is not a readable PNG, JPEG, WebP, HEIC or HEIF image file"),
        ("bad_data_uri", "invalid base64"),
        ("gif_data_uri", "unsupported image type 'image/gif'"),
        ("plain_data_uri", "must look like data:image/png;base64"),
    ],
)
def test_bad_input_images_are_tool_errors_and_send_nothing(
    tmp_path: Path, setup: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    secret = tmp_path / ".env"
    secret.write_text("HIAPI_API_KEY=do-not-leak")
    refs = {
        "missing": str(tmp_path / "nope.png"),
        "text": str(secret),
        "directory": str(tmp_path),
        "bad_data_uri": "data:image/png;base64,@@@@",
        "gif_data_uri": "data:image/gif;base64,R0lGODlh",
        "plain_data_uri": "data:image/png,abc",
    }
    rec = Recorder()
    message = call(make_tool(rec), prompt="edit", images=[refs[setup]])
    assert message.status == "error"
    assert expected in str(message.content)
    assert "images[0]" in str(message.content)
    assert message.artifact is None
    assert rec.requests == []


def test_image_dirs_limit_which_files_may_be_read(tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    inside = allowed / "ok.png"
    inside.write_bytes(png_bytes(2, 2))
    outside = tmp_path / "private.png"
    outside.write_bytes(png_bytes(2, 2))
    sneaky = allowed / "link.png"
    sneaky.symlink_to(outside)
    rec = Recorder()
    tool = make_tool(rec, image_dirs=[allowed])
    assert call(tool, prompt="edit", images=[str(inside)]).status == "success"
    for ref in (str(outside), str(sneaky), str(allowed / ".." / "private.png")):
        message = call(tool, prompt="edit", images=[ref])
        assert message.status == "error"
        assert "outside the allowed image directories" in str(message.content)
    assert len(rec.requests) == 1


def test_text_only_tool_refuses_images_given_directly(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    path.write_bytes(png_bytes(2, 2))
    rec = Recorder()
    tool = make_tool(rec, allow_input_images=False)
    with pytest.raises(ToolException, match="only draws new images"):
        tool._run(prompt="edit", images=[str(path)])  # bypasses the schema
    assert rec.requests == []


# ------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (error_answer(400, "prompt_blocked", "prompt blocked"), "blocked this prompt for safety"),
        (error_answer(403, "insufficient_user_quota", "余额不足"), "run out of quota"),
        (error_answer(429), "rate limiting requests (still after 0 retries)"),
        (error_answer(503, "model_not_found", "no channel"), "'Nano-Banana' is not available"),
        (error_answer(400, 400, "aspect ratio bad"), "HiAPI rejected the request"),
        (error_answer(500, "empty_response"), "returned nothing for this prompt (the attempt"),
        (error_answer(502, "bad_response_status_code"), "could not be generated. You may retry"),
    ],
)
@pytest.mark.parametrize("use_async", [False, True])
async def test_actionable_hiapi_errors_become_tool_errors(
    answer: httpx.Response, expected: str, use_async: bool
) -> None:
    tool = make_tool(Recorder(answer))
    message = await acall(tool, prompt="x") if use_async else call(tool, prompt="x")
    assert message.status == "error"
    assert expected in str(message.content)
    assert f"HiAPI {answer.status_code}" in str(message.content)  # the original error too
    assert message.artifact is None


@pytest.mark.parametrize("use_async", [False, True])
async def test_invalid_key_still_raises(use_async: bool) -> None:
    tool = make_tool(Recorder(error_answer(401, message="Invalid token")))
    run = acall(tool, prompt="x") if use_async else _awaitable(call, tool, prompt="x")
    with pytest.raises(AuthenticationError):
        await run


async def _awaitable(func: Any, *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


@pytest.mark.parametrize("use_async", [False, True])
async def test_reply_without_image_is_a_tool_error(use_async: bool) -> None:
    reply = chat_reply("I cannot draw that, but here is a poem.", finish_reason="content_filter")
    tool = make_tool(Recorder(httpx.Response(200, json=reply)))
    message = await acall(tool, prompt="x") if use_async else call(tool, prompt="x")
    assert message.status == "error"
    content = str(message.content)
    assert "returned no image" in content
    assert "finish_reason=content_filter" in content
    assert 'The model said: "I cannot draw that, but here is a poem."' in content


def test_invalid_arguments_name_the_allowed_values_and_send_nothing() -> None:
    rec = Recorder()
    message = call(make_tool(rec), prompt="x", aspect_ratio="7:3")
    assert message.status == "error"
    assert "aspect_ratio: Input should be '1:1'" in str(message.content)
    assert "(got '7:3')" in str(message.content)
    assert rec.requests == []


def test_size_the_model_lacks_is_a_tool_error_and_sends_nothing() -> None:
    rec = Recorder()
    message = call(make_tool(rec), prompt="x", image_size="4K")
    assert message.status == "error"
    assert "'4K' is not supported by model 'Nano-Banana'; allowed values: 1K" in str(
        message.content
    )
    assert rec.requests == []


def test_empty_prompt_is_rejected() -> None:
    rec = Recorder()
    message = call(make_tool(rec), prompt="")
    assert message.status == "error"
    assert "prompt" in str(message.content)
    assert rec.requests == []


# ------------------------------------------------------------------------ image headers


def test_image_dimensions_stays_importable_from_tools() -> None:
    # The scenarios live in test_media; this pins the public re-export only.
    from langchain_hiapi import _media

    assert image_dimensions is _media.image_dimensions


def test_images_api_size_mapping() -> None:
    from langchain_hiapi.image_config import ImageConfig
    from langchain_hiapi.tools import images_api_size

    assert images_api_size(None) is None
    assert images_api_size(ImageConfig(aspect_ratio="auto")) is None
    assert images_api_size(ImageConfig(image_size="2K")) is None
    assert images_api_size(ImageConfig(aspect_ratio="1:1")) == "1024x1024"
    assert images_api_size(ImageConfig(aspect_ratio="21:9")) == "1536x1024"
    assert images_api_size(ImageConfig(aspect_ratio="4:5")) == "1024x1536"
