"""Deadlines for X: each request ends by a time, and so does a cycle.

`requests` has no total timeout: its timeout bounds each socket read, so an answer trickled
a byte at a time can hold a request for as long as X keeps sending (one held 131 s with a
20 s timeout). Here each request gets a watchdog: a timer that, at the deadline, shuts the
socket the answer is being read from. The read blocked on it returns at once, and the
request fails as a timeout. The socket is found through the connection classes mounted on
the X client's adapter (`DeadlineHTTPAdapter`), whichever phase the request is in: waiting
for the headers or reading the body.

`deadline_scope(at)` sets an outer deadline (a Unix time) that every request made inside it
ends by, too: a cycle's, so its last request can't outlast the cycle.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import threading
import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

# The deadline of the request this thread is making, for the connection to register with.
_request = contextvars.ContextVar("x_request_deadline", default=None)
# The outer deadline (a cycle's) as a Unix time, or None.
_scope = contextvars.ContextVar("x_deadline_scope", default=None)


@contextlib.contextmanager
def deadline_scope(at: float | None):
    """Every request to X made inside ends by `at` (a Unix time) at the latest."""
    outer = _scope.get()
    token = _scope.set(at if outer is None or at is None else min(at, outer))
    try:
        yield
    finally:
        _scope.reset(token)


def scope_remaining() -> float | None:
    """Seconds left in the current deadline scope; None outside one."""
    at = _scope.get()
    return None if at is None else at - time.time()


class DeadlinePassed(requests.Timeout):
    """The request was cut off at its deadline (a `requests.Timeout`, so callers that
    handle X not answering in time handle this too)."""


class _Deadline:
    """A request's deadline: at expiry, every socket it reads from is shut."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0), self.expire)
        self._timer.daemon = True

    def remaining(self) -> float:
        return max(self.at - time.monotonic(), 0.001)

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def start(self) -> None:
        self._timer.start()

    def cancel(self) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    # socket.socket's own shutdown, also for an SSLSocket: it wakes a read blocked in another
    # thread without touching the TLS state that read is using.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watched:
    def getresponse(self, *args, **kwargs):
        # Before the wait for the headers; the body is read from the same socket.
        deadline = _request.get()
        if deadline is not None:
            deadline.watch(self.sock)
        return super().getresponse(*args, **kwargs)


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


POOL_CLASSES = {"http": _HTTPPool, "https": _HTTPSPool}


class DeadlineHTTPAdapter(HTTPAdapter):
    """An adapter whose every request, body included, ends within `seconds` (and within
    the current `deadline_scope`), or raises DeadlinePassed."""

    def __init__(self, *, seconds: float, **kwargs):
        self.seconds = seconds
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = POOL_CLASSES

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = POOL_CLASSES
        return manager

    def send(self, request, stream=False, timeout=None, **kwargs):
        seconds = self.seconds
        if (left := scope_remaining()) is not None:
            seconds = min(seconds, left)
        if seconds <= 0:
            raise DeadlinePassed("the deadline passed before the request was sent")
        deadline = _Deadline(seconds)
        token = _request.set(deadline)
        deadline.start()
        try:
            # Connecting and each read are bounded by what is left, too.
            timeout = (deadline.remaining(), deadline.remaining())
            response = super().send(request, stream=True, timeout=timeout, **kwargs)
            if not stream:
                response.content  # noqa: B018 (read the body here, under the watchdog)
            return response
        except requests.RequestException as exc:
            if deadline.expired or isinstance(exc, requests.Timeout):
                raise DeadlinePassed(f"no complete answer within {deadline.seconds:.0f} s") from exc
            raise
        finally:
            deadline.cancel()
            _request.reset(token)
