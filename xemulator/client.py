"""A small client for the /_emulator/ control API (standard library only).

Tests get one as `emulator.control`; a browser test or a script can point one at an emulator
running in another process: `EmulatorClient("http://127.0.0.1:8010").add_fault("/2/users/me")`.
"""

from __future__ import annotations

import json
from urllib.error import HTTPError
from urllib.request import Request, urlopen


class EmulatorControlError(RuntimeError):
    def __init__(self, status: int, payload: object):
        super().__init__(f"emulator control API answered {status}: {payload}")
        self.status = status
        self.payload = payload


class EmulatorClient:
    def __init__(self, base_url: str, *, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, payload: dict | None = None):
        body = json.dumps(payload).encode() if payload is not None else None
        request = Request(  # noqa: S310 (the URL is the emulator's, http by design)
            f"{self.base_url}/_emulator/{path}",
            data=body,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read())
        except HTTPError as exc:
            with exc:
                raise EmulatorControlError(exc.code, json.loads(exc.read() or b"null")) from None

    def reset(self) -> None:
        self._call("POST", "reset", {})

    def users(self) -> list[dict]:
        return self._call("GET", "users")["data"]

    def user(self, user_id: str) -> dict:
        return self._call("GET", f"users/{user_id}")["data"]

    def add_user(self, username: str, **profile) -> dict:
        """Create an X account; `name`, `id`, `profile_image_url`, ... are optional."""
        return self._call("POST", "users", {"username": username, **profile})["data"]

    def update_user(self, user_id: str, **changes) -> dict:
        return self._call("PATCH", f"users/{user_id}", changes)["data"]

    def add_fault(
        self,
        path: str,
        kind: str = "status",
        *,
        count: int = 1,
        status: int | None = None,
        delay_seconds: float = 0.0,
        body: object = None,
    ) -> dict:
        """Break the next `count` requests to `path`: kind is status, malformed, slow or json."""
        payload = {"path": path, "kind": kind, "count": count, "delay_seconds": delay_seconds}
        if status is not None:
            payload["status"] = status
        if body is not None:
            payload["body"] = body
        return self._call("POST", "faults", payload)["data"]

    def faults(self) -> list[dict]:
        return self._call("GET", "faults")["data"]

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def requests(self, path: str | None = None) -> list[dict]:
        """X API requests the emulator answered, oldest first; only those to `path` if given."""
        log = self._call("GET", "requests")["data"]
        return [entry for entry in log if path is None or entry["path"] == path]

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    def advance_clock(self, seconds: float) -> float:
        return self._call("POST", "clock", {"advance_seconds": seconds})["now"]

    def config(self) -> dict:
        return self._call("GET", "config")["data"]

    def configure(self, **changes) -> dict:
        return self._call("PATCH", "config", changes)["data"]
