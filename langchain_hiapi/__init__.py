"""LangChain integration for HiAPI: Nano-Banana image models and every other HiAPI model."""

from typing import TYPE_CHECKING, Any

# First on purpose: the chat-model stack before `langchain_core.messages` imports faster (P4).
from langchain_core.language_models.chat_models import BaseChatModel  # noqa: F401

from langchain_hiapi._version import __version__
from langchain_hiapi.chat_models import ChatHiAPI
from langchain_hiapi.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    HiAPIError,
    IdempotencyKeyMismatchError,
    InsufficientQuotaError,
    InternalServerError,
    InvalidRequestError,
    InvalidResponseError,
    ModelNotFoundError,
    ModelUnavailableError,
    NotFoundError,
    OutputExpiredError,
    PermissionDeniedError,
    PromptBlockedError,
    RateLimitError,
    ResponseTooLargeError,
    StreamError,
    TaskFailedError,
    TaskInputError,
    TaskWaitTimeout,
    UnsafeURLError,
    WebhookVerificationError,
)
from langchain_hiapi.image_config import ImageConfig
from langchain_hiapi.images import GeneratedImage, get_images, save_images
from langchain_hiapi.limits import Limits
from langchain_hiapi.timeouts import HiAPITimeout

if TYPE_CHECKING:
    from langchain_hiapi.bulk import BulkItem, BulkResult, agenerate_many, generate_many
    from langchain_hiapi.images_api import IMAGES_API_MODELS, agenerate_images, generate_images
    from langchain_hiapi.models import HiAPIModel, alist_models, list_models
    from langchain_hiapi.task_tool import HiAPITaskTool
    from langchain_hiapi.tasks import AsyncHiAPITasks, HiAPITasks, Task, TaskOutput, TaskPage
    from langchain_hiapi.tools import HiAPIImageGenerationTool
    from langchain_hiapi.video import (
        GeneratedVideo,
        HiAPIVideoGenerationTool,
        VideoGenerationError,
        VideoTimeoutError,
        agenerate_video,
        generate_video,
    )
    from langchain_hiapi.webhooks import verify_webhook

# Public names imported on first use: the tools pull in langchain-core's tool machinery,
# which most ChatHiAPI users never need (and the task API its catalogue of schemas).
_LAZY = {
    "HiAPIImageGenerationTool": "langchain_hiapi.tools",
    "HiAPITaskTool": "langchain_hiapi.task_tool",
    "IMAGES_API_MODELS": "langchain_hiapi.images_api",
    "generate_images": "langchain_hiapi.images_api",
    "agenerate_images": "langchain_hiapi.images_api",
    "HiAPIModel": "langchain_hiapi.models",
    "list_models": "langchain_hiapi.models",
    "alist_models": "langchain_hiapi.models",
    "GeneratedVideo": "langchain_hiapi.video",
    "HiAPIVideoGenerationTool": "langchain_hiapi.video",
    "VideoGenerationError": "langchain_hiapi.video",
    "VideoTimeoutError": "langchain_hiapi.video",
    "generate_video": "langchain_hiapi.video",
    "agenerate_video": "langchain_hiapi.video",
    "HiAPITasks": "langchain_hiapi.tasks",
    "AsyncHiAPITasks": "langchain_hiapi.tasks",
    "Task": "langchain_hiapi.tasks",
    "TaskOutput": "langchain_hiapi.tasks",
    "TaskPage": "langchain_hiapi.tasks",
    "verify_webhook": "langchain_hiapi.webhooks",
    "generate_many": "langchain_hiapi.bulk",
    "agenerate_many": "langchain_hiapi.bulk",
    "BulkItem": "langchain_hiapi.bulk",
    "BulkResult": "langchain_hiapi.bulk",
}


__all__ = [
    "IMAGES_API_MODELS",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncHiAPITasks",
    "AuthenticationError",
    "BadRequestError",
    "BulkItem",
    "BulkResult",
    "ChatHiAPI",
    "ConflictError",
    "GeneratedImage",
    "GeneratedVideo",
    "HiAPIError",
    "HiAPIImageGenerationTool",
    "HiAPIModel",
    "HiAPITaskTool",
    "HiAPITasks",
    "HiAPITimeout",
    "HiAPIVideoGenerationTool",
    "IdempotencyKeyMismatchError",
    "ImageConfig",
    "InsufficientQuotaError",
    "InternalServerError",
    "InvalidRequestError",
    "InvalidResponseError",
    "Limits",
    "ModelNotFoundError",
    "ModelUnavailableError",
    "NotFoundError",
    "OutputExpiredError",
    "PermissionDeniedError",
    "PromptBlockedError",
    "RateLimitError",
    "ResponseTooLargeError",
    "StreamError",
    "Task",
    "TaskFailedError",
    "TaskInputError",
    "TaskOutput",
    "TaskPage",
    "TaskWaitTimeout",
    "UnsafeURLError",
    "VideoGenerationError",
    "VideoTimeoutError",
    "WebhookVerificationError",
    "__version__",
    "agenerate_images",
    "agenerate_many",
    "agenerate_video",
    "alist_models",
    "generate_images",
    "generate_many",
    "generate_video",
    "get_images",
    "list_models",
    "save_images",
    "verify_webhook",
]


def __getattr__(name: str) -> Any:
    """Imports the tools, video, images-API, models and task-API names on first use.

    Most users only need ChatHiAPI.
    """
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
