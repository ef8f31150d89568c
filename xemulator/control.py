"""The /_emulator/ JSON API tests and developers use to set the emulator up and break it.

POST   /_emulator/reset             back to the demo users, no grants, faults or log
GET    /_emulator/users             {"data": [user, ...]}
POST   /_emulator/users             {"username", "name"?, "id"?, "profile_image_url"?, ...}
PATCH  /_emulator/users/<id>        change handle, name, avatar, "protected": true, ...
DELETE /_emulator/users/<id>        the account is deleted: its tokens stop working, it follows
                                     no one and leaves every following list
POST   /_emulator/users/<id>/revoke the person took the app's access away: every token they
                                     granted stops working -> {"data": {"revoked": n}}
GET    /_emulator/users/<id>/following  {"data": {"count", "user_ids", "generated", "seed",
                                     "protected_every"}}
PUT    /_emulator/users/<id>/following  {"user_ids"?: [existing ids, newest follow first],
                                     "generate"?: N made-up accounts after them (up to
                                     1,000,000, computed when read, never stored), "seed"?,
                                     "protected_every"?: every Nth made-up one is protected}
GET    /_emulator/faults            armed faults
POST   /_emulator/faults            {"path", "kind": status|malformed|slow|json|headers|
                                     truncated|trickle, "count"?, "status"?, "delay_seconds"?,
                                     "body"?, "reset_seconds"?, "headers"?, "query_contains"?,
                                     "after"?}; "headers" answers normally with the given
                                     headers over the usual ones (any kind may carry them);
                                     "truncated" answers (and bills) in full, then cuts the
                                     body in half; "trickle" answers normally, the body one
                                     byte every delay_seconds; "query_contains" hits only
                                     requests whose query has that text; "after" lets that
                                     many through first
DELETE /_emulator/faults
GET    /_emulator/requests          X API requests seen, oldest first (secrets redacted)
DELETE /_emulator/requests
POST   /_emulator/clock             {"advance_seconds": 31}: expire codes without waiting
GET    /_emulator/config            the configuration, without the secrets
PATCH  /_emulator/config            {"code_ttl_seconds"?, "redirect_uris"?, "bearer_token"?,
                                     "search_query_max_length"?, "search_rate_limit"?, ...}
GET    /_emulator/tweets            {"data": [post, ...]} every stored post, newest first, as
                                     search returns it with every field
POST   /_emulator/tweets            {"text", "username" | "author_id", "created_at"?,
                                     "is_retweet"?, "retweet_of"?, "lang"?, "public_metrics"?}
                                     -> 201 {"data": post}; an unknown username is created;
                                     a text over 280 characters (to 25,000) is a long post
POST   /_emulator/tweets/bulk       {"tweets": [spec, ...]} (all stored, or none), or a
                                     generator: {"hashtags": [...], "count", "usernames"?,
                                     "span_seconds"?, "newest_at"?, "retweet_every"?, "seed"?}
                                     -> 201 {"data": {"created", "newest_id", "oldest_id"}}
DELETE /_emulator/tweets            forget every post
GET    /_emulator/usage             {"data": {"posts_billed", "posts_sent", "by_day"}}: what X
                                     bills, each post once per UTC day it was sent
DELETE /_emulator/tweets/<id>       its author deletes the post: search and lookup (GET
                                     /2/tweets) no longer find it; 404 if there is no such post
GET    /_emulator/rate-limit        the app's recent-search budget: {"data": {"limit",
                                     "remaining", "reset", "window_seconds"}}
POST   /_emulator/rate-limit        {"limit"?, "remaining"?, "window_seconds"?,
                                     "reset_in_seconds"?}: change it
"""

from __future__ import annotations

from dataclasses import fields as dataclass_fields

from xemulator.responses import Request, Response, json_response
from xemulator.state import EmulatorConfig, EmulatorError, EmulatorState, Fault
from xemulator.tweets import TWEET_FIELDS, Tweet, tweet_json
from xemulator.users import USER_FIELDS, user_json

PREFIX = "/_emulator/"
CONFIGURABLE = {f.name for f in dataclass_fields(EmulatorConfig)}


def _error(message: str, status: int = 400) -> Response:
    return json_response({"error": message}, status)


def _full_user(user) -> dict:
    return user_json(user, USER_FIELDS)


def _full_tweet(tweet: Tweet) -> dict:
    return tweet_json(tweet, TWEET_FIELDS)


def _optional_int(payload: dict, name: str) -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise EmulatorError(f"{name} must be a whole number")
    return int(value)


def _headers(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise EmulatorError("headers must be an object of strings")
    return value


def _bulk(state: EmulatorState, payload: dict) -> list[Tweet]:
    if "tweets" in payload:
        if set(payload) != {"tweets"}:
            raise EmulatorError("give either tweets or a generator, not both")
        return state.post_tweets(payload["tweets"])
    if "hashtags" not in payload:
        raise EmulatorError('give "tweets": [...] or a generator with "hashtags" and "count"')
    return state.generate_tweets(**payload)


def dispatch(state: EmulatorState, request: Request) -> Response:
    route = request.path.removeprefix(PREFIX).strip("/")
    method = request.method
    payload: dict = {}
    if method in ("POST", "PATCH", "PUT"):
        try:
            payload = request.json()
        except ValueError:
            return _error("the body must be JSON")
        if not isinstance(payload, dict):
            return _error("the body must be a JSON object")
    try:
        return _route(state, method, route, payload)
    except EmulatorError as exc:
        return _error(str(exc), 409 if exc.error == "conflict" else 400)
    except KeyError as exc:
        return _error(f"missing {exc}")
    except (TypeError, ValueError) as exc:
        return _error(f"bad value: {exc}")


def _config_changes(state: EmulatorState, payload: dict) -> dict:
    unknown = set(payload) - CONFIGURABLE
    if unknown:
        raise EmulatorError(f"unknown settings: {', '.join(sorted(unknown))}")
    changes = {}
    for name, value in payload.items():
        current = getattr(state.config, name)
        if isinstance(current, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise EmulatorError(f"{name} must be a list of strings")
            changes[name] = tuple(value)
        else:
            # Same type as the default: "30" becomes 30.0 for a float setting.
            changes[name] = type(current)(value)
    return changes


def _route(state: EmulatorState, method: str, route: str, payload: dict) -> Response:
    match (method, route.split("/")):
        case ("POST", ["reset"]):
            state.reset()
            return json_response({"status": "reset"})
        case ("GET", ["users"]):
            return json_response({"data": [_full_user(u) for u in state.all_users()]})
        case ("POST", ["users"]):
            return json_response({"data": _full_user(state.add_user(**payload))}, 201)
        case ("GET" | "PATCH", ["users", user_id]):
            try:
                user = (
                    state.update_user(user_id, **payload)
                    if method == "PATCH"
                    else state.users[user_id]
                )
            except KeyError:
                return _error("no such user", 404)
            return json_response({"data": _full_user(user)})
        case ("DELETE", ["users", user_id]):
            try:
                state.delete_user(user_id)
            except KeyError:
                return _error("no such user", 404)
            return json_response({"data": {"deleted": True}})
        case ("POST", ["users", user_id, "revoke"]):
            if user_id not in state.users:
                return _error("no such user", 404)
            return json_response({"data": {"revoked": state.revoke_user_tokens(user_id)}})
        case ("GET" | "PUT", ["users", user_id, "following"]):
            if user_id not in state.users:
                return _error("no such user", 404)
            if method == "PUT":
                unknown = set(payload) - {"user_ids", "generate", "seed", "protected_every"}
                if unknown:
                    raise EmulatorError(f"unknown fields: {', '.join(sorted(unknown))}")
                state.set_following(user_id, **payload)
            return json_response({"data": state.following(user_id).summary()})
        case ("GET", ["faults"]):
            return json_response({"data": [f.as_json() for f in state.armed_faults()]})
        case ("POST", ["faults"]):
            fault = Fault(
                path=str(payload["path"]),
                kind=str(payload.get("kind", "status")),
                remaining=int(payload.get("count", 1)),
                status=int(payload["status"]) if payload.get("status") is not None else None,
                delay_seconds=float(payload.get("delay_seconds", 0)),
                body=payload.get("body"),
                reset_seconds=(
                    float(payload["reset_seconds"])
                    if payload.get("reset_seconds") is not None
                    else None
                ),
                headers=_headers(payload.get("headers")),
                query_contains=(
                    str(payload["query_contains"]) if payload.get("query_contains") else None
                ),
                after=_optional_int(payload, "after") or 0,
            )
            return json_response({"data": state.add_fault(fault).as_json()}, 201)
        case ("DELETE", ["faults"]):
            state.clear_faults()
            return json_response({"data": []})
        case ("GET", ["requests"]):
            return json_response({"data": state.logged_requests()})
        case ("DELETE", ["requests"]):
            state.clear_request_log()
            return json_response({"data": []})
        case ("POST", ["clock"]):
            return json_response({"now": state.advance_clock(float(payload["advance_seconds"]))})
        case ("GET", ["config"]):
            return json_response({"data": state.config.public()})
        case ("PATCH", ["config"]):
            return json_response(
                {"data": state.configure(**_config_changes(state, payload)).public()}
            )
        case ("GET", ["tweets"]):
            return json_response({"data": [_full_tweet(t) for t in state.all_tweets()]})
        case ("POST", ["tweets"]):
            return json_response({"data": _full_tweet(state.post_tweet(**payload))}, 201)
        case ("POST", ["tweets", "bulk"]):
            ids = [t.id for t in _bulk(state, payload)]
            summary = {"created": len(ids), "newest_id": str(max(ids)), "oldest_id": str(min(ids))}
            return json_response({"data": summary}, 201)
        case ("DELETE", ["tweets"]):
            state.clear_tweets()
            return json_response({"data": []})
        case ("GET", ["usage"]):
            return json_response({"data": state.usage()})
        case ("DELETE", ["tweets", tweet_id]):
            if not state.delete_tweet(tweet_id):
                return _error("no such post", 404)
            return json_response({"data": {"deleted": True}})
        case ("GET", ["rate-limit"]):
            return json_response({"data": state.search_rate_limit()})
        case ("POST", ["rate-limit"]):
            unknown = set(payload) - {"limit", "remaining", "window_seconds", "reset_in_seconds"}
            if unknown:
                raise EmulatorError(f"unknown fields: {', '.join(sorted(unknown))}")
            reset_in = payload.get("reset_in_seconds")
            if reset_in is not None and not isinstance(reset_in, int | float):
                raise EmulatorError("reset_in_seconds must be a number")
            changed = state.set_search_rate_limit(
                limit=_optional_int(payload, "limit"),
                remaining=_optional_int(payload, "remaining"),
                window_seconds=_optional_int(payload, "window_seconds"),
                reset_in_seconds=reset_in,
            )
            return json_response({"data": changed})
    return _error("no such control endpoint", 404)
