"""The loop of one chart worker process: read a chart, draw it, send the PNG back.

The parent imports this module without matplotlib; the worker imports the drawing when it
starts (the fork server has it imported and warmed up already, see `chart_preload`).
"""

from __future__ import annotations

import contextlib
import os
import signal
from multiprocessing.connection import Connection
from typing import Any


def serve(conn: Connection) -> None:
    """Draw every chart the parent sends until it closes the pipe."""
    # Ctrl-C reaches the whole process group: the parent decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Answers come first: when the cores are busy, the scheduler serves the bot before a chart.
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)
    from bot.rendering.charts import render_chart

    while True:
        try:
            chart = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone or closed the pipe
        reply: tuple[str, Any]
        try:
            reply = ("ok", render_chart(chart))
        except Exception as exc:  # the parent turns it into an apology
            reply = ("error", f"{type(exc).__name__}: {exc}")
        with contextlib.suppress(EOFError, OSError, BrokenPipeError):
            conn.send(reply)
