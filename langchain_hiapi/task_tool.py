"""`HiAPITaskTool`: any HiAPI task model as an agent tool (lives in `langchain_hiapi.tools`).

This module keeps the public names importable from their first home.
"""

from __future__ import annotations

from langchain_hiapi.tools._task_base import TaskToolBase
from langchain_hiapi.tools._task_result import (
    TaskOutputInfo,
    TaskToolArtifact,
    run_artifact,
    run_summary,
)
from langchain_hiapi.tools.task import HiAPITaskTool, OpenTaskArgs

__all__ = [
    "HiAPITaskTool",
    "OpenTaskArgs",
    "TaskOutputInfo",
    "TaskToolArtifact",
    "TaskToolBase",
    "run_artifact",
    "run_summary",
]
