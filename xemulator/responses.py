"""The request and response values the emulator's endpoints take and return."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from http import HTTPStatus
from urllib.parse import parse_qs


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes = b""

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def form(self) -> dict[str, str]:
        """The urlencoded body, first value of each field; empty for other content types."""
        if self.content_type != "application/x-www-form-urlencoded":
            return {}
        fields = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {key: values[0] for key, values in fields.items()}

    def json(self) -> object:
        """The JSON body; raises ValueError when it is not JSON."""
        return json.loads(self.body or b"{}")


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds between the body's bytes: a "trickle" fault sends the body a byte at a time.
    trickle_seconds: float = 0.0


def rate_limit_headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    """The x-rate-limit-* headers every answer of a rate-limited endpoint carries."""
    return {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(max(remaining, 0)),
        "x-rate-limit-reset": str(reset),
    }


def json_response(
    payload: object,
    status: int = 200,
    *,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(
        status,
        body,
        {
            "Content-Type": f"{content_type}; charset=utf-8",
            "Cache-Control": "no-store",
            **(headers or {}),
        },
    )


def problem_response(
    status: int,
    *,
    detail: str | None = None,
    problem_type: str = "about:blank",
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra,
) -> Response:
    """An RFC 7807 problem, the shape X's v2 endpoints use for errors."""
    phrase = HTTPStatus(status).phrase
    payload = {"title": title or phrase, "type": problem_type, "status": status}
    payload["detail"] = detail or phrase
    payload.update(extra)
    return json_response(payload, status, content_type="application/problem+json", headers=headers)


INVALID_REQUEST_TYPE = "https://api.twitter.com/2/problems/invalid-request"


def invalid_request_response(errors: list[dict], headers: dict[str, str] | None = None) -> Response:
    """X's 400 for bad parameters: one entry per problem, each naming its parameter."""
    payload = {
        "errors": errors,
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": INVALID_REQUEST_TYPE,
    }
    return json_response(payload, 400, content_type="application/problem+json", headers=headers)


def oauth_error_response(error: str, description: str, status: int = 400) -> Response:
    return json_response({"error": error, "error_description": description}, status)


# The consent pages set their own styles inline and load nothing else.
HTML_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def html_response(html: str, status: int = 200) -> Response:
    return Response(status, html.encode("utf-8"), dict(HTML_HEADERS))


def redirect_response(location: str) -> Response:
    return Response(302, b"", {"Location": location, "Cache-Control": "no-store"})
