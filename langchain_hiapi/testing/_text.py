"""Deterministic behaviour of the text models (OpenAI chat format)."""

from __future__ import annotations

import json
import re
from typing import Any

from langchain_hiapi.testing._models import ALWAYS_REASONING, GEMINI_THINKING
from langchain_hiapi.testing._prompt import count_tokens, prompt_tokens
from langchain_hiapi.testing._request import ChatRequest
from langchain_hiapi.testing._schema import PromptValues, generate, quoted_identifiers, summary
from langchain_hiapi.testing._wire import Answer, ApiError, ToolCall, dumps, usage

_WORD = re.compile(r"\S+\s*")


def split_words(text: str) -> list[str]:
    """Splits text into stream deltas, one word (with its trailing space) each."""
    leading = text[: len(text) - len(text.lstrip())]
    pieces = _WORD.findall(text)
    if leading:
        pieces.insert(0, leading)
    return pieces or ([text] if text else [])


def _forced_tool(req: ChatRequest) -> tuple[bool, str | None]:
    # (tool call required, name of the forced tool)
    choice = req.tool_choice
    if isinstance(choice, dict):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(name, str):
            raise ApiError(400, "tool_choice.function.name is required", "invalid_request")
        if name not in {t["function"]["name"] for t in req.tools}:
            raise ApiError(
                400, f"tool_choice names {name}, which is not in tools", "invalid_request"
            )
        return True, name
    return choice in ("required", "any"), None


def _score(name: str, prompt: str) -> int:
    lowered = prompt.lower()
    if name.lower() in lowered:
        return 100
    words = [w for w in re.split(r"[_\W]+", name.lower()) if len(w) > 2]
    return sum(1 for w in words if re.search(rf"\b{re.escape(w)}", lowered))


def _pick_tools(req: ChatRequest, forced: str | None) -> list[dict[str, Any]]:
    by_name = {t["function"]["name"]: t for t in req.tools}
    if forced is not None:
        return [by_name[forced]]
    prompt = req.conv.last_user_text
    scores = [(_score(t["function"]["name"], prompt), i) for i, t in enumerate(req.tools)]
    named = [req.tools[i] for s, i in scores if s >= 100]
    if req.parallel_tool_calls and len(named) > 1:
        return named
    best = max(scores, key=lambda pair: (pair[0], -pair[1]))
    return [req.tools[best[1]]]


def _tool_calls(req: ChatRequest) -> list[ToolCall]:
    if not req.tools or req.tool_choice == "none":
        return []
    required, forced = _forced_tool(req)
    if req.conv.last_role != "user" and not required:
        return []
    values = PromptValues(req.conv.last_user_text)
    calls = []
    for tool in _pick_tools(req, forced):
        function = tool["function"]
        schema = function.get("parameters") or {"type": "object", "properties": {}}
        arguments = generate(schema, values)
        calls.append(ToolCall(req.next_call_id(), function["name"], dumps(arguments)))
    return calls


def _structured(req: ChatRequest) -> str | None:
    fmt = req.response_format
    if not isinstance(fmt, dict):
        return None
    prompt = req.conv.last_user_text
    if fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema")
        if not isinstance(spec, dict) or not isinstance(spec.get("schema"), dict):
            raise ApiError(400, "response_format.json_schema.schema is required", "invalid_request")
        return dumps(generate(spec["schema"], PromptValues(prompt)))
    if fmt.get("type") == "json_object":
        keys = quoted_identifiers(prompt) or ["answer"]
        return dumps({key: f"{key}: {summary(prompt)}" for key in keys})
    return None


def _tool_result(content: str) -> str:
    try:
        value = json.loads(content)
    except ValueError:
        value = content
    if isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))
    text = value if isinstance(value, str) else dumps(value)
    return f"The result is {text.rstrip('.')}."


def _plain_text(req: ChatRequest) -> str:
    conv = req.conv
    if conv.last_role == "tool":
        return _tool_result(conv.last_text)
    said = conv.last_user_text or conv.last_text
    parts = [conv.acknowledgement(), f"You said: {said}" if said else ""]
    return " ".join(p for p in parts if p) or "Hello! How can I help you today?"


def _cut(text: str, req: ChatRequest) -> tuple[str, bool]:
    # Stop strings end the text before the earliest match; max_tokens counts words.
    hits = [text.find(s) for s in req.stop if s in text]
    if hits:
        text = text[: min(hits)]
    if req.max_tokens is not None:
        words = _WORD.findall(text.lstrip())
        if len(words) > req.max_tokens:
            return "".join(words[: req.max_tokens]).rstrip(), True
    return text, False


def _reasoning(req: ChatRequest) -> str:
    thinking = req.thinking_config
    wanted = req.model in ALWAYS_REASONING or (
        req.model in GEMINI_THINKING
        and thinking.get("include_thoughts") is True
        and thinking.get("thinking_budget") != 0
    )
    if not wanted:
        return ""
    topic = summary(req.conv.last_user_text or req.conv.last_text, 6)
    return f"The user asks about: {topic}. I will answer briefly and deterministically."


def answer_text(req: ChatRequest) -> Answer:
    """Answers a text-model request deterministically.

    Order: tool calls (tools given, `tool_choice` not "none", last message from the user
    or a tool forced), then `response_format`, then a reply to a tool result, else an
    echo of the last user text.

    Args:
        req: The request.

    Returns:
        The answer, model reported as sent.
    """
    reasoning = _reasoning(req)
    calls = _tool_calls(req)
    finish = "tool_calls" if calls else "stop"
    content = ""
    if not calls:
        content = _structured(req) or _plain_text(req)
        content, truncated = _cut(content, req)
        finish = "length" if truncated else "stop"
    extra = len(dumps(req.tools).split()) if req.tools else 0
    out_tokens = count_tokens(content) + sum(count_tokens(c.arguments) + 3 for c in calls)
    return Answer(
        model=req.model,
        pieces=split_words(content),
        reasoning=split_words(reasoning),
        tool_calls=calls,
        finish_reason=finish,
        usage=usage(
            prompt_tokens(req.conv, extra),
            prompt_images=258 * len(req.conv.images),
            completion_text=max(1, out_tokens),
            reasoning=count_tokens(reasoning),
        ),
    )
