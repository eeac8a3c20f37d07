"""Graceful shutdown under uvicorn: unready at once on SIGTERM, serving for a grace
period while load balancers stop sending, then uvicorn's own graceful stop.

uvicorn, on SIGTERM, closes its listening socket at once, waits for the requests
in flight (at most `--timeout-graceful-shutdown` seconds) and runs the lifespan's
shutdown. Alone, that refuses the requests a load balancer still sends before it
has seen the replica go, and nothing can report it unready first. So the first
SIGTERM only marks the process as draining (readiness answers 503) and, after
SHUTDOWN_GRACE_SECONDS, starts uvicorn's stop; a second SIGTERM starts it at once.
SIGINT (Ctrl+C) stays uvicorn's.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import uvicorn

from .logging import get_logger

if TYPE_CHECKING:
    from types import FrameType

logger = get_logger(__name__)


@dataclass
class Lifecycle:
    """The process's state that readiness reports: draining once told to stop."""

    draining: bool = False


@contextmanager
def drain_on_sigterm(lifecycle: Lifecycle, grace_seconds: float) -> Iterator[None]:
    """While open, SIGTERM drains `lifecycle` before uvicorn stops.

    Only under uvicorn's signal handling (in the main thread of a uvicorn server
    process); anywhere else, such as in tests that drive the app in-process,
    nothing changes.
    """
    uvicorn_handler = signal.getsignal(signal.SIGTERM)
    server = getattr(uvicorn_handler, "__self__", None)
    if not isinstance(server, uvicorn.Server) or (
        threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    loop = asyncio.get_running_loop()

    def stop() -> None:
        # What uvicorn's handler does, without recording the signal: uvicorn
        # re-raises a recorded signal once it has stopped, and the process would
        # end killed by SIGTERM (status 143) instead of exiting 0.
        server.should_exit = True

    def begin_draining() -> None:
        logger.info("draining", stopping_in_seconds=grace_seconds)
        loop.call_later(grace_seconds, stop)

    def on_sigterm(_signal: int, _frame: FrameType | None) -> None:
        # A signal handler may only hand work to the loop, thread-safely.
        if lifecycle.draining:
            loop.call_soon_threadsafe(stop)
            return
        lifecycle.draining = True
        loop.call_soon_threadsafe(begin_draining)

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, uvicorn_handler)
