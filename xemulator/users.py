"""GET /2/users/me, and the User object as X serializes it (also for search `includes`)."""

from __future__ import annotations

from xemulator.responses import (
    Request,
    Response,
    invalid_request_response,
    json_response,
    problem_response,
    rate_limit_headers,
)
from xemulator.state import EmulatorState, XUser

# X's `user.fields` values (OpenAPI v2.166, UserFieldsParameter).
USER_FIELDS = (
    "affiliation",
    "confirmed_email",
    "connection_status",
    "created_at",
    "description",
    "entities",
    "id",
    "is_identity_verified",
    "location",
    "most_recent_tweet_id",
    "name",
    "parody",
    "pinned_tweet_id",
    "profile_banner_url",
    "profile_image_url",
    "protected",
    "public_metrics",
    "receives_your_dm",
    "subscription",
    "subscription_type",
    "url",
    "username",
    "verified",
    "verified_followers_count",
    "verified_type",
    "withheld",
)
USERS_ME_LIMIT = 75  # requests per 15 minutes per user, as X allows
RATE_WINDOW_SECONDS = 15 * 60


def user_json(user: XUser, fields: list[str] | tuple[str, ...] = ()) -> dict:
    """The user with id, name, username and whichever requested fields the emulator models."""
    data = {"id": user.id, "name": user.name, "username": user.username}
    available = {
        "created_at": user.created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "description": user.description,
        "location": user.location or None,
        "profile_image_url": user.profile_image_url or None,
        "protected": user.protected,
        "url": user.url,
        "verified": user.verified,
        "verified_type": user.verified_type,
    }
    for name in fields:
        # X leaves out a field the user has no value for.
        if available.get(name) is not None:
            data[name] = available[name]
    return data


def fields_error(request: Request, parameter: str, allowed: tuple[str, ...]) -> dict | None:
    """The error entry X gives for a comma-separated list with a value it does not know."""
    raw = request.arg(parameter)
    if raw is None:
        return None
    bad = [name for name in raw.split(",") if name not in allowed]
    if not bad:
        return None
    return {
        "parameters": {parameter: [raw]},
        "message": (
            f"The `{parameter}` query parameter value [{bad[0]}] is not one of "
            f"[{','.join(allowed)}]"
        ),
    }


def parse_fields(request: Request, parameter: str, allowed: tuple[str, ...]):
    """(fields, None) or (None, the 400 response X sends for a bad value)."""
    error = fields_error(request, parameter, allowed)
    if error:
        return None, invalid_request_response([error])
    raw = request.arg(parameter)
    return (raw.split(",") if raw is not None else []), None


def bearer_token(request: Request) -> str:
    scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def me(state: EmulatorState, request: Request) -> Response:
    found = state.grant_for_access_token(bearer_token(request))
    if found is None:
        return problem_response(401)
    grant, user = found
    if not {"users.read", "tweet.read"} <= set(grant.scopes):
        return problem_response(403)
    remaining, reset = state.rate_limit_hit(
        ("users/me", grant.user_id), limit=USERS_ME_LIMIT, window_seconds=RATE_WINDOW_SECONDS
    )
    headers = rate_limit_headers(USERS_ME_LIMIT, remaining, reset)
    if remaining < 0:
        return problem_response(429, headers=headers)
    fields, error = parse_fields(request, "user.fields", USER_FIELDS)
    if error:
        error.headers.update(headers)
        return error
    return json_response({"data": user_json(user, fields)}, headers=headers)
