"""A tiny real HTTP/1.1 server on loopback that plays a peer's inboxes (tests and the bench).

Keep-alive, Content-Length bodies only. ``behaviour(path) -> Reply`` decides each answer
(status, headers, delay); every request is recorded. It runs in the caller's event loop.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

REASONS = {
    200: "OK",
    202: "Accepted",
    301: "Moved Permanently",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Reply:
    status: int = 202
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: bytes = b""


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class FakeHttpPeer:
    def __init__(
        self, behaviour: Callable[[str], Reply] | None = None, *, record_bodies: bool = True
    ) -> None:
        self.behaviour = behaviour or (lambda _path: Reply())
        self.record_bodies = record_bodies
        self.received: list[Received] = []
        self.counts: Counter[str] = Counter()
        self._server: asyncio.AbstractServer | None = None
        self.port = 0

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    async def start(self, port: int = 0) -> FakeHttpPeer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _version = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                self.counts[path] += 1
                self.received.append(Received(method, path, headers, body if self.record_bodies else b""))
                reply = self.behaviour(path)
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                extra = "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items())
                writer.write(
                    f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Status')}\r\n"
                    f"Content-Length: {len(reply.body)}\r\n{extra}\r\n".encode("latin-1")
                    + reply.body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
