"""The emulator's HTTP server: routing, fault injection and the request log.

with EmulatorServer(port=0) as emulator:   # serves in a background thread
    requests.get(emulator.base_url + "/2/users/me", ...)
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from xemulator import control, following, lookup, oauth, search, users
from xemulator.client import EmulatorClient
from xemulator.responses import Request, Response, json_response, problem_response
from xemulator.state import EmulatorConfig, EmulatorState, Fault

logger = logging.getLogger("xemulator")

MAX_BODY_BYTES = 1_000_000
# The control API takes bulk posts; 100,000 of them fit.
MAX_CONTROL_BODY_BYTES = 64_000_000
# Values that grant access; the request log keeps that they were sent, not what they were.
SECRET_FIELDS = {"code", "code_verifier", "refresh_token", "client_secret", "access_token"}

ROUTES = {
    ("GET", "/i/oauth2/authorize"): oauth.authorize_page,
    ("POST", "/i/oauth2/authorize"): oauth.authorize_decision,
    ("POST", "/2/oauth2/token"): oauth.token,
    ("POST", "/2/oauth2/revoke"): oauth.revoke,
    ("GET", "/2/users/me"): users.me,
    ("GET", search.SEARCH_PATH): search.search_recent,
    ("GET", lookup.LOOKUP_PATH): lookup.lookup_tweets,
}
# Paths with an id in them: (method, matches(path), handler).
PATTERN_ROUTES = (("GET", following.matches, following.users_following),)


def _fault_rate_limit_headers(
    state: EmulatorState, fault: Fault, request: Request
) -> dict[str, str] | None:
    """The x-rate-limit-* headers an injected fault's answer carries, on the paths whose
    every answer has them."""
    if request.path == search.SEARCH_PATH:
        return search.fault_headers(state, fault)
    if following.matches(request.path):
        return following.fault_headers(state, fault, request)
    return None


def dispatch(state: EmulatorState, request: Request) -> Response:
    """Answer one request: control API, else an armed fault, else the X endpoint."""
    if request.path.startswith(control.PREFIX):
        return control.dispatch(state, request)
    fault = state.take_fault(request.path, request.arg("query") or "")
    if fault is not None and fault.kind == "slow":
        generation = state.generation
        state.wait(fault.delay_seconds)
        if state.generation != generation:
            # Reset while held: this request belongs to a finished run; keep it out of the log.
            return problem_response(503)
    response = _fault_response(fault) if fault else None
    if response is None:
        response = _route(state, request)
        if fault is not None and fault.kind == "truncated":
            # Answered (and billed) in full, then the connection dropped half-way.
            response.body = response.body[: len(response.body) // 2]
        if fault is not None and fault.kind == "trickle":
            response.trickle_seconds = fault.delay_seconds
    elif (headers := _fault_rate_limit_headers(state, fault, request)) is not None:
        response.headers.update(headers)
    if fault is not None and fault.headers:
        response.headers.update(fault.headers)
    state.log_request(_log_entry(request, response, fault))
    return response


def _route(state: EmulatorState, request: Request) -> Response:
    handler = ROUTES.get((request.method, request.path))
    if handler is not None:
        return handler(state, request)
    for method, matches, pattern_handler in PATTERN_ROUTES:
        if matches(request.path):
            if method != request.method:
                return problem_response(405)
            return pattern_handler(state, request)
    if any(path == request.path for _, path in ROUTES):
        return problem_response(405)
    return problem_response(404)


def _fault_response(fault: Fault) -> Response | None:
    match fault.kind:
        case "status":
            return problem_response(fault.status or 503)
        case "malformed":
            # A 200 that claims JSON and is cut off mid-object, like a dropped connection.
            return Response(200, b'{"data": {"id": "14600', {"Content-Type": "application/json"})
        case "json":
            return json_response(fault.body, fault.status or 200)
    # "slow": answer normally, late; "trickle": answer normally, the body a byte at a time;
    # "headers": answer normally; "truncated": cut off.
    return None


def _log_entry(request: Request, response: Response, fault: Fault | None) -> dict:
    def redact(fields: dict[str, str]) -> dict[str, str]:
        return {k: "[redacted]" if k in SECRET_FIELDS else v for k, v in fields.items()}

    scheme = (request.headers.get("Authorization") or "").partition(" ")[0].lower()
    return {
        "at": datetime.now(UTC).isoformat(),
        "method": request.method,
        "path": request.path,
        "query": redact({k: v[0] for k, v in request.query.items()}),
        "form": redact(request.form()),
        "authorization": scheme or None,
        "status": response.status,
        "fault": fault.kind if fault else None,
    }


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "xemulator/1.0"

    def do_GET(self):
        self._respond()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def _respond(self) -> None:
        try:
            response = self._answer()
        except Exception:
            logger.exception("xemulator failed on %s %s", self.command, self.path)
            response = problem_response(500)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        # The client may have given up already, e.g. timed out during a "slow" fault.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            if response.trickle_seconds > 0:
                self._trickle(response)
            else:
                self.wfile.write(response.body)

    def _trickle(self, response: Response) -> None:
        """The body a byte at a time, `trickle_seconds` apart; a reset stops it."""
        self.wfile.flush()
        state, generation = self.server.state, self.server.state.generation
        for index in range(len(response.body)):
            self.wfile.write(response.body[index : index + 1])
            self.wfile.flush()
            state.wait(response.trickle_seconds)
            if state.generation != generation:
                self.close_connection = True
                return

    def _answer(self) -> Response:
        length = int(self.headers.get("Content-Length") or 0)
        is_control = self.path.startswith(control.PREFIX)
        if length > (MAX_CONTROL_BODY_BYTES if is_control else MAX_BODY_BYTES):
            self.close_connection = True
            return json_response(
                {"error": "request body too large"}, HTTPStatus.REQUEST_ENTITY_TOO_LARGE
            )
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            headers=self.headers,
            body=self.rfile.read(length) if length > 0 else b"",
        )
        return dispatch(self.server.state, request)

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        logger.debug("%s %s", self.address_string(), format % args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, state: EmulatorState):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.state = state
        super().__init__(address, _Handler)


class EmulatorServer:
    """The X emulator on host:port (port 0 picks a free one); `start()` serves in a thread."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, config: EmulatorConfig | None = None
    ):
        self.state = EmulatorState(config or EmulatorConfig.from_env())
        self._httpd = _HTTPServer((host, port), self.state)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    @property
    def control(self) -> EmulatorClient:
        return EmulatorClient(self.base_url)

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="xemulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self.state.interrupt()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
