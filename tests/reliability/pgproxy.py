"""A TCP proxy between the engine and PostgreSQL that cuts the link at a chosen protocol message (issue 8).

Why a proxy and not a mock: the one fault a database client cannot tell apart from a failure is a
COMMIT the server executed whose acknowledgement never arrived. Only the wire can produce it, so this
proxy reads the frontend protocol (startup packet, then `type byte + int32 length` messages) and, when
armed, either drops a message (the server never sees it) or forwards it, waits for the server to finish
it (ReadyForQuery, `Z`), swallows that reply and closes both sockets. psycopg sends `BEGIN`/`COMMIT` as
simple queries (`Q`) and parametrized statements as Parse/Bind/Execute/Sync, so `Q` and `S` are the
statement boundaries counted here.

Clients must connect with `sslmode=disable` and `gssencmode=disable` (an encrypted stream cannot be read).
"""

from __future__ import annotations

import socket
import struct
import threading
from dataclasses import dataclass, field

SSL_REQUEST, GSSENC_REQUEST = 80877103, 80877104
READY_FOR_QUERY = b"Z\x00\x00\x00\x05"


@dataclass
class Plan:
    """When to cut: at the `nth` statement boundary after arming, or (`commit`) at the nth COMMIT;
    `forward`: let the server execute that message (its reply is lost) or drop it."""

    nth: int = 1
    forward: bool = True
    commit: bool = False


@dataclass
class Cut:
    message: str  # the query text of a `Q`, or "<extended>" for a Sync
    forwarded: bool

    @property
    def commit_executed(self) -> bool:
        """The server ran a COMMIT whose answer the client never got: the transaction is in."""
        return self.forwarded and self.message.strip().upper() == "COMMIT"


@dataclass
class _Link:
    client: socket.socket
    server: socket.socket
    swallow: threading.Event = field(default_factory=threading.Event)
    closed: threading.Event = field(default_factory=threading.Event)

    def close(self) -> None:
        self.closed.set()
        for s in (self.client, self.server):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


class PgProxy:
    """127.0.0.1:`port` -> `upstream`. `arm(plan)` cuts the next matching message of any connection."""

    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5432)):
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._plan: Plan | None = None
        self._seen = self._commits = 0
        self.cuts: list[Cut] = []
        self._links: list[_Link] = []
        self._stopped = False
        threading.Thread(target=self._accept, name="pgproxy-accept", daemon=True).start()

    def url(self, database: str, user: str = "postgres") -> str:
        return (f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{database}"
                "?sslmode=disable&gssencmode=disable")

    def arm(self, plan: Plan) -> None:
        with self._lock:
            self._plan, self._seen, self._commits = plan, 0, 0

    @property
    def seen(self) -> int:
        """Statement boundaries since `arm`, up to and including the one cut."""
        return self._seen

    def disarm(self) -> Cut | None:
        """Stop cutting; the cut made since `arm`, if any."""
        with self._lock:
            fired = self._plan is None
            self._plan = None
        return self.cuts[-1] if fired and self.cuts else None

    def close(self) -> None:
        self._stopped = True
        self._listener.close()
        for link in list(self._links):
            link.close()

    # --- plumbing ----------------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            for sock in (client, server):  # relay each message at once (Nagle + delayed ACKs cost 40 ms a turn)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            link = _Link(client, server)
            self._links.append(link)
            threading.Thread(target=self._client_to_server, args=(link,), daemon=True).start()
            threading.Thread(target=self._server_to_client, args=(link,), daemon=True).start()

    @staticmethod
    def _read(sock: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def _client_to_server(self, link: _Link) -> None:
        try:
            while True:  # startup phase: SSL/GSS requests (answered by one byte), then the startup packet
                head = self._read(link.client, 8)
                length, code = struct.unpack("!ii", head)
                link.server.sendall(head + self._read(link.client, length - 8))
                if code not in (SSL_REQUEST, GSSENC_REQUEST):
                    break
            while True:
                kind = self._read(link.client, 1)
                (length,) = struct.unpack("!i", self._read(link.client, 4))
                body = self._read(link.client, length - 4)
                message = kind + struct.pack("!i", length) + body
                cut = self._should_cut(kind, body)
                if cut is None:
                    link.server.sendall(message)
                    continue
                if cut.forwarded:
                    link.swallow.set()  # before sending: the reply must not slip through
                    link.server.sendall(message)
                    link.closed.wait(10)  # the other pump closes once the server has answered
                link.close()
                return
        except (OSError, ConnectionError, struct.error):
            link.close()

    def _should_cut(self, kind: bytes, body: bytes) -> Cut | None:
        if kind not in (b"Q", b"S"):
            return None
        text = body.rstrip(b"\x00").decode("utf-8", "replace") if kind == b"Q" else "<extended>"
        with self._lock:
            plan = self._plan
            if plan is None:
                return None
            self._seen += 1
            if plan.commit:
                if text.strip().upper() != "COMMIT":
                    return None
                self._commits += 1
            if (self._commits if plan.commit else self._seen) != plan.nth:
                return None
            self._plan = None
            cut = Cut(text, plan.forward)
            self.cuts.append(cut)
            return cut

    def _server_to_client(self, link: _Link) -> None:
        swallowed = b""
        try:
            while True:
                data = link.server.recv(65536)
                if not data:
                    break
                if link.swallow.is_set():  # the answer to the cut message: wait for its end, never relay it
                    swallowed += data
                    if READY_FOR_QUERY in swallowed:
                        break
                    continue
                link.client.sendall(data)
        except OSError:
            pass
        link.close()
