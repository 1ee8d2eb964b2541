"""`ChatHiAPI.with_structured_output`: the three methods and their parsers (pure)."""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal, cast

from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.runnables import RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel

if TYPE_CHECKING:
    from langchain_core.language_models import LanguageModelInput
    from langchain_core.messages import AIMessage
    from langchain_core.output_parsers.base import OutputParserLike
    from langchain_core.runnables import Runnable

    from langchain_hiapi.chat_models import ChatHiAPI

__all__ = ["StructuredMethod", "structured_output", "text_parser"]

StructuredMethod = Literal["function_calling", "json_mode", "json_schema"]


def text_parser(schema: dict[str, Any] | type | None) -> OutputParserLike[Any]:
    """Parses a JSON text reply into the pydantic class, or a dict for other schemas."""
    if isinstance(schema, type) and is_basemodel_subclass(schema):
        return PydanticOutputParser(pydantic_object=cast("type[BaseModel]", schema))
    return JsonOutputParser()


def _function_calling(
    llm: ChatHiAPI, schema: dict[str, Any] | type, strict: bool | None
) -> tuple[Runnable[LanguageModelInput, AIMessage], OutputParserLike[Any]]:
    tool = convert_to_openai_tool(schema, strict=strict)
    tool_name = tool["function"]["name"]
    bound = llm.bind_tools(
        [schema],
        tool_choice=tool_name,
        strict=strict,
        parallel_tool_calls=False,
        ls_structured_output_format={"kwargs": {"method": "function_calling"}, "schema": tool},
    )
    if isinstance(schema, type) and is_basemodel_subclass(schema):
        return bound, PydanticToolsParser(tools=[schema], first_tool_only=True)
    return bound, JsonOutputKeyToolsParser(key_name=tool_name, first_tool_only=True)


def _json_schema(
    llm: ChatHiAPI, schema: dict[str, Any] | type, strict: bool | None
) -> Runnable[LanguageModelInput, AIMessage]:
    json_schema = convert_to_json_schema(schema)
    response_format: dict[str, Any] = {
        "type": "json_schema",
        "json_schema": {"name": json_schema.get("title", "output"), "schema": json_schema},
    }
    if strict is not None:
        response_format["json_schema"]["strict"] = strict
    return llm.bind(
        response_format=response_format,
        ls_structured_output_format={"kwargs": {"method": "json_schema"}, "schema": json_schema},
    )


def _json_mode(
    llm: ChatHiAPI, schema: dict[str, Any] | type | None
) -> Runnable[LanguageModelInput, AIMessage]:
    return llm.bind(
        response_format={"type": "json_object"},
        ls_structured_output_format={
            "kwargs": {"method": "json_mode"},
            "schema": convert_to_json_schema(schema) if schema is not None else None,
        },
    )


def structured_output(
    llm: ChatHiAPI,
    schema: dict[str, Any] | type | None,
    *,
    method: StructuredMethod,
    include_raw: bool,
    strict: bool | None,
) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
    """The structured-output runnable of `ChatHiAPI.with_structured_output` (same args).

    Raises:
        ValueError: For an unknown method or a missing schema.
    """
    if method not in ("json_schema", "function_calling", "json_mode"):
        msg = (
            f"method must be one of 'json_schema', 'function_calling', 'json_mode'; got {method!r}."
        )
        raise ValueError(msg)
    if schema is None and method != "json_mode":
        msg = f"schema must be given for method={method!r}."
        raise ValueError(msg)
    parser: OutputParserLike[Any]
    if method == "function_calling":
        bound, parser = _function_calling(llm, cast("dict[str, Any] | type", schema), strict)
    elif method == "json_schema":
        bound = _json_schema(llm, cast("dict[str, Any] | type", schema), strict)
        parser = text_parser(schema)
    else:
        bound, parser = _json_mode(llm, schema), text_parser(schema)
    if not include_raw:
        return bound | parser
    parser_with_fallback = RunnablePassthrough.assign(
        parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
    ).with_fallbacks(
        [RunnablePassthrough.assign(parsed=lambda _: None)], exception_key="parsing_error"
    )
    return RunnableMap(raw=bound) | parser_with_fallback
