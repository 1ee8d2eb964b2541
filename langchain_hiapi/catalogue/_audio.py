"""Audio models on the task API (speech, dialogue, music): ids only, inputs pass unchecked.

No source captures their input fields, so their `default` route is the open `OpenTaskInput`.
"""

from __future__ import annotations

from langchain_hiapi.catalogue._info import ModelInfo, task

MODELS: tuple[ModelInfo, ...] = (
    task("qwen-audio-3.0-tts-plus", "audio"),
    task("qwen-audio-3.0-tts-flash", "audio"),
    task("elevenlabs/text-to-dialogue", "audio"),
    task("minimax-music-1.5", "audio"),
    task("minimax-music-2.6", "audio"),
)
