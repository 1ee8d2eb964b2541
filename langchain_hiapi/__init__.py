"""LangChain integration for HiAPI: Nano-Banana image models and every other HiAPI model."""

from typing import TYPE_CHECKING, Any

# Imported first on purpose (ChatHiAPI needs it anyway): loading langchain-core's chat-model
# stack before `langchain_core.messages` (which `_images` would otherwise pull in first)
# makes `import langchain_hiapi` ~60 ms faster (CPython 3.11, langchain-core 1.x; measured
# by benchmarks/p4_import.py, where the other order builds langsmith's pydantic models
# more slowly).
from langchain_core.language_models.chat_models import BaseChatModel  # noqa: F401

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
    """Imports the agent tool and looks up `__version__` on first use.

    Most users only need ChatHiAPI; `importlib.metadata` alone costs tens of milliseconds
    of import time.
    """
    if name == "HiAPIImageGenerationTool":
        from langchain_hiapi.tools import HiAPIImageGenerationTool

        return HiAPIImageGenerationTool
    if name == "__version__":
        from importlib import metadata

        try:
            version = metadata.version(__package__ or "langchain-hiapi")
        except metadata.PackageNotFoundError:  # a source tree that is not installed
            version = ""
        globals()["__version__"] = version
        return version
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
