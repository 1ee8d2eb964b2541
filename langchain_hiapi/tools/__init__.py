"""HiAPI generation as LangChain agent tools: one module per tool.

- `image`: `HiAPIImageGenerationTool` (any image model, by the catalogue's route).
- `task`: `HiAPITaskTool` (any task model, with the model's own input schema).
- `video`: `HiAPIVideoGenerationTool` (video models, with common video options).

The shared parts live in the private modules next to them: `_base` (connection fields,
closing), `_errors` (errors as advice an agent can act on), `_task_base` (create, wait,
download), `_task_result` / `_image_result` (artifacts), `_image_args` and `_image_inputs`.
"""

from __future__ import annotations

from langchain_hiapi._media import image_dimensions
from langchain_hiapi.tools._image_args import (
    ImageEditInput,
    ImageGenerationInput,
    images_api_size,
)
from langchain_hiapi.tools._image_inputs import MAX_INPUT_IMAGE_BYTES
from langchain_hiapi.tools._image_result import ImageToolArtifact, images_as_blocks
from langchain_hiapi.tools.image import HiAPIImageGenerationTool
from langchain_hiapi.tools.task import HiAPITaskTool
from langchain_hiapi.tools.video import HiAPIVideoGenerationTool

__all__ = [
    "MAX_INPUT_IMAGE_BYTES",
    "HiAPIImageGenerationTool",
    "HiAPITaskTool",
    "HiAPIVideoGenerationTool",
    "ImageEditInput",
    "ImageGenerationInput",
    "ImageToolArtifact",
    "image_dimensions",
    "images_api_size",
    "images_as_blocks",
]
