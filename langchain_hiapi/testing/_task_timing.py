"""How long emulated tasks take, and the task clock (`TaskTiming`)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

# Fractional part of the golden ratio: n * it mod 1 fills [0, 1) evenly for any prefix of n.
_GOLDEN = 0.6180339887498949


@dataclass(frozen=True)
class TaskTiming:
    """How long emulated tasks take, and the task clock.

    Each stage lasts `queued`, `handling` and `archiving` units; after the last the task
    is terminal. With `unit="polls"` (the default) a unit is one look at the task (a
    detail GET, or the task appearing on a list page): a task with the default 1/1/1 is
    `queued`, `handling`, `archiving` on its first three polls and `success` on the
    fourth, whatever the wall clock says, so recorded request sequences repeat exactly.
    With `unit="seconds"` a unit is a second of `clock`, and tasks also reach their end
    (and send their callback) without being polled. All zero: done at the first look.
    `spread` (seconds mode) lengthens the handling stage of the n-th task created by a
    deterministic share of `spread` seconds (the golden-ratio sequence), so the end times of
    a batch created together spread evenly over `spread` seconds (bulk-polling benchmarks).

    Attributes:
        queued: Stage length in `unit`s.
        handling: Stage length in `unit`s.
        archiving: Stage length in `unit`s.
        unit: `polls` or `seconds`.
        clock: Unix seconds: `created`/`completed`, `expireAt`, callback timestamps, the
            idempotency window and (in seconds mode) the stages. Inject a fake to test
            expiry or staleness without waiting.
        output_ttl: Seconds an output URL stays valid after completion (7 days).
        idempotency_ttl: Seconds an `Idempotency-Key` is remembered (24 hours).
        spread: Seconds mode: extra handling time of up to this many seconds per task.
    """

    queued: float = 1
    handling: float = 1
    archiving: float = 1
    unit: Literal["polls", "seconds"] = "polls"
    clock: Callable[[], float] = field(default=time.time, compare=False)
    output_ttl: float = 7 * 24 * 3600
    idempotency_ttl: float = 24 * 3600
    spread: float = 0.0

    def __post_init__(self) -> None:
        if self.unit not in ("polls", "seconds"):
            raise ValueError(f"unit must be 'polls' or 'seconds', got {self.unit!r}")
        if self.spread and self.unit != "seconds":
            raise ValueError("spread needs unit='seconds'")
        names = ("queued", "handling", "archiving", "output_ttl", "idempotency_ttl", "spread")
        for name in names:
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value >= 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")

    def status_at(self, progress: float, extra: float = 0.0) -> str | None:
        """The running status after `progress` units (polls seen, or seconds elapsed).

        Polls count from 1 (the first look); seconds from 0. Returns None once terminal.
        `extra` lengthens the handling stage (see `extra_for`).
        """
        edge = progress if self.unit == "seconds" else progress - 1
        if edge < self.queued:
            return "queued"
        if edge < self.queued + self.handling + extra:
            return "handling"
        if edge < self.queued + self.handling + extra + self.archiving:
            return "archiving"
        return None

    @property
    def total(self) -> float:
        """All three stages together."""
        return self.queued + self.handling + self.archiving

    def extra_for(self, seq: int) -> float:
        """Extra handling time of the `seq`-th task created (1-based): an even spread."""
        return self.spread * ((seq * _GOLDEN) % 1.0) if self.spread else 0.0
