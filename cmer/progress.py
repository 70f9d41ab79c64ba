"""Progress of long operator commands: a bar on a terminal, nothing when not on one.

A module of the project, not of an app: the lowest layers (audit) use it too.

On a terminal (stderr is a TTY) a tqdm bar counts the work (events, records, pages, cells); off a
terminal (cron, systemd, a pipe) the bar is disabled and the command's closing line is its only
summary, so logs and cron mail get one line, not carriage-return noise. Labels are fixed words
chosen by the command and counts: never a name, a reference or any value read from the data.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import IO, Any

from tqdm import tqdm


def stream_of(command: Any) -> IO[str]:
    """The raw stderr of a management command (its OutputWrapper would add a newline per write)."""
    wrapper = getattr(command, "stderr", None)
    return getattr(wrapper, "_out", None) or sys.stderr


def on_terminal(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def bar(label: str, *, total: int | None, unit: str, stream: IO[str]) -> tqdm[Any]:
    """A bar to `update(n)` then `close()`; disabled (no output at all) off a terminal."""
    return tqdm(
        total=total,
        desc=label,
        unit=unit,
        file=stream,
        disable=not on_terminal(stream),
        leave=False,
        dynamic_ncols=True,
        mininterval=0.2,
    )


def follow(progress_bar: tqdm[Any]) -> Callable[[int, int], None]:
    """A `(done, total)` callback (steps of a backup or restore) that moves `progress_bar`."""

    def report(done: int, total: int) -> None:
        progress_bar.total = total
        progress_bar.n = done
        progress_bar.refresh()

    return report
