"""Redis faults for the outage tests.

- `closed_port_url()`: a Redis URL nobody listens on (Redis down).
- `FaultyRedis()`: a server that accepts connections and never answers (Redis hung). Given
  an `upstream` Redis it passes traffic through until `.hang()`, and again after `.heal()`.
  `give_up_after` seconds after it starts it closes every connection and stops listening,
  so a client without timeouts can't hang the test run; `.gave_up` says it had to.
  `.accepted` counts the connections it took.
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit


def closed_port_url(db: int = 0) -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/{db}"


class FaultyRedis:
    def __init__(self, upstream: str | None = None, *, give_up_after: float = 60):
        self.upstream = urlsplit(upstream) if upstream else None
        self.passing = upstream is not None
        self.gave_up = False
        self.accepted = 0  # connections so far
        self._lock = threading.Lock()
        self._held: list[socket.socket] = []  # client sockets, and upstream ones when passing
        self._forwarded: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        self._watchdog = threading.Timer(give_up_after, self._give_up)
        self._watchdog.daemon = True
        self._watchdog.start()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def hang(self) -> None:
        """Stop answering, on open connections and new ones alike."""
        with self._lock:
            self.passing = False
            forwarded, self._forwarded = self._forwarded, []
        for sock in forwarded:
            sock.close()

    def heal(self) -> None:
        with self._lock:
            self.passing = True

    def close(self) -> None:
        self._watchdog.cancel()
        self._shut()

    def _give_up(self) -> None:
        self.gave_up = True
        self._shut()

    def _shut(self) -> None:
        self._listener.close()
        with self._lock:
            sockets, self._held, self._forwarded = self._held + self._forwarded, [], []
        for sock in sockets:
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            with self._lock:
                self.accepted += 1
                self._held.append(client)
                if not self.passing:
                    continue
                upstream = socket.create_connection((self.upstream.hostname, self.upstream.port))
                self._forwarded.append(upstream)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                with self._lock:
                    if not self.passing:
                        return
                sink.sendall(data)
        except OSError:
            return
