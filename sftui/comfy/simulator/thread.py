"""Running a Simulator from synchronous code: in a daemon thread, or blocking."""

from __future__ import annotations

import asyncio
import logging
import threading
from types import TracebackType

from sftui.comfy.simulator.config import SimulatorConfig
from sftui.comfy.simulator.server import Simulator

log = logging.getLogger(__name__)

_TIMEOUT = 15.0


class SimulatorThread:
    """A Simulator on its own event loop in a daemon thread; usable as a context manager."""

    def __init__(self, config: SimulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.simulator = Simulator(config)
        self.host = host
        self.port = port
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="sftui-simulator", daemon=True)
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self.simulator.start(self.host, self.port), loop)
        try:
            self.url = future.result(timeout=_TIMEOUT)
        except BaseException:
            self._shutdown_loop()
            raise
        return self.url

    def stop(self) -> None:
        if self._loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self.simulator.stop(), self._loop).result(timeout=_TIMEOUT)
            asyncio.run_coroutine_threadsafe(self._loop.shutdown_default_executor(), self._loop).result(timeout=_TIMEOUT)
        finally:
            self._shutdown_loop()

    def _shutdown_loop(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=_TIMEOUT)
        if not loop.is_running():
            loop.close()

    def __enter__(self) -> SimulatorThread:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def run_server(host: str = "127.0.0.1", port: int = 8188, config: SimulatorConfig | None = None) -> None:
    """Serve until interrupted (``sftui demo-server``); reports only through logging."""

    async def serve() -> None:
        simulator = Simulator(config)
        await simulator.start(host, port)
        try:
            await asyncio.Event().wait()
        finally:
            await simulator.stop()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        log.info("simulator: stopped")
