"""LangChain integration for HiAPI: Nano-Banana image models and every other HiAPI model."""

from importlib import metadata
from typing import TYPE_CHECKING, Any

from langchain_hiapi._images import GeneratedImage, get_images, save_images
from langchain_hiapi.chat_models import ChatHiAPI
from langchain_hiapi.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    HiAPIError,
    InsufficientQuotaError,
    InternalServerError,
    InvalidResponseError,
    ModelNotFoundError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    StreamError,
)
from langchain_hiapi.image_config import ImageConfig

if TYPE_CHECKING:
    from langchain_hiapi.tools import HiAPIImageGenerationTool

try:
    __version__ = metadata.version(__package__ or "langchain-hiapi")
except metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = ""

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ChatHiAPI",
    "ConflictError",
    "GeneratedImage",
    "HiAPIError",
    "HiAPIImageGenerationTool",
    "ImageConfig",
    "InsufficientQuotaError",
    "InternalServerError",
    "InvalidResponseError",
    "ModelNotFoundError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "StreamError",
    "__version__",
    "get_images",
    "save_images",
]


def __getattr__(name: str) -> Any:
    """Imports the agent tool on first use (most users only need ChatHiAPI)."""
    if name == "HiAPIImageGenerationTool":
        from langchain_hiapi.tools import HiAPIImageGenerationTool

        return HiAPIImageGenerationTool
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
