"""An agent that decides when to draw, with HiAPIImageGenerationTool and `create_agent`.

    python examples/agent_draws.py "Please draw a red fox in the snow for my blog post"

The agent's own LLM is a HiAPI text model (`--agent-model`, default gpt-4o-mini) through
ChatHiAPI; it calls the image tool when a picture is needed and answers with the file path.

With HIAPI_API_KEY set this calls HiAPI. Without it, it starts the bundled offline emulator
(`langchain_hiapi.testing`) and says so: its text model deterministically calls the tool
for the user's message and then answers from the tool result, and the image is a small
placeholder PNG.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from langchain_hiapi import ChatHiAPI, HiAPIImageGenerationTool
from langchain_hiapi.testing import hiapi_or_emulator

DEFAULT_OUT = Path(__file__).resolve().parent / "output" / "agent_draws"

SYSTEM_PROMPT = (
    "You are a helpful assistant for a blog. When the user asks for a picture, call"
    " generate_image with a detailed prompt; otherwise just answer. After drawing, tell"
    " the user where the image was saved."
)


def show(message: BaseMessage) -> None:
    """Prints one step of the conversation, without any base64."""
    if isinstance(message, AIMessage) and message.tool_calls:
        for call in message.tool_calls:
            print(f"[agent -> {call['name']}] {call['args']}")
    elif isinstance(message, ToolMessage):
        print(f"[{message.name} -> agent, {message.status}] {message.content}")
    elif isinstance(message, AIMessage):
        print(f"[agent] {message.text}")
    else:
        print(f"[{message.type}] {message.text}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "request", nargs="?", default="Please draw a red fox in the snow for my blog post."
    )
    parser.add_argument("--agent-model", default="gpt-4o-mini", help="HiAPI text model")
    parser.add_argument("--image-model", default="Nano-Banana")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory for the images")
    args = parser.parse_args(argv)

    with hiapi_or_emulator(detail="scripted agent model, placeholder image") as settings:
        draw = HiAPIImageGenerationTool(
            model=args.image_model,
            save_dir=args.out,
            file_prefix="agent",
            # This agent only draws from text, so the LLM gets no way to read local files.
            allow_input_images=False,
            **settings,
        )
        agent = create_agent(
            model=ChatHiAPI(model=args.agent_model, temperature=0, **settings),
            tools=[draw],
            system_prompt=SYSTEM_PROMPT,
        )
        result = agent.invoke({"messages": [{"role": "user", "content": args.request}]})

    for message in result["messages"]:
        show(message)
    saved = [
        path
        for message in result["messages"]
        if isinstance(message, ToolMessage) and message.status == "success" and message.artifact
        for path in message.artifact["paths"]
    ]
    if not saved:
        print("The agent drew nothing this time.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
