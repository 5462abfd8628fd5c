"""A local shaped link: a TCP proxy on 127.0.0.1 whose downstream is limited to a rate.

``with Shaper(target_port, rate=2 * 2**20) as link:`` forwards ``127.0.0.1:link.port``
to ``127.0.0.1:target_port``. Every byte from the server to the browser, HTTP and
WebSocket alike, on every connection, shares one budget of ``rate`` bytes per second
(a learner's link, not a per-connection cap); the upstream is not limited. Chrome's
network emulation (CDP ``Network.emulateNetworkConditions``) is not relied on: whether
it shapes WebSocket frames has changed between Chromium versions, and the kernel's
WebSocket is what a learner waits for.
"""

from __future__ import annotations

import asyncio
import threading
import time

CHUNK = 16 * 1024  # 8 ms at 2 MiB/s: the granularity of the shaping


class Shaper:
    def __init__(self, target_port: int, rate: float):
        self.target_port, self.rate = target_port, float(rate)
        self.port: int | None = None
        self.sent = 0  # bytes delivered downstream
        self._free_at = 0.0  # monotonic time the link is free again
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="shaper", daemon=True)
        self._server = None
        self._lock: asyncio.Lock | None = None

    # -- the link --------------------------------------------------------------------------
    async def _transmit(self, n: int) -> None:
        """Wait until ``n`` more bytes would have crossed the link."""
        async with self._lock:
            now = time.monotonic()
            self._free_at = max(self._free_at, now) + n / self.rate
            done = self._free_at
        await asyncio.sleep(max(0.0, done - time.monotonic()))

    async def _pipe(self, reader, writer, shaped: bool) -> None:
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    break
                if shaped:
                    await self._transmit(len(data))
                    self.sent += len(data)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            try:
                writer.close()
            except RuntimeError:
                pass

    async def _handle(self, client_reader, client_writer) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(self._pipe(client_reader, server_writer, shaped=False),
                             self._pipe(server_reader, client_writer, shaped=True), return_exceptions=True)

    async def _start(self) -> int:
        self._lock = asyncio.Lock()
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- lifetime ---------------------------------------------------------------------------
    def start(self) -> "Shaper":
        self._thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> "Shaper":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
