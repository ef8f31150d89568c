"""The /_emulator/ JSON API tests and developers use to set the emulator up and break it.

POST   /_emulator/reset             back to the demo users, no grants, faults or log
GET    /_emulator/users             {"data": [user, ...]}
POST   /_emulator/users             {"username", "name"?, "id"?, "profile_image_url"?, ...}
PATCH  /_emulator/users/<id>        change handle, name, avatar, ...
GET    /_emulator/faults            armed faults
POST   /_emulator/faults            {"path", "kind": status|malformed|slow|json, "count"?,
                                     "status"?, "delay_seconds"?, "body"?}
DELETE /_emulator/faults
GET    /_emulator/requests          X API requests seen, oldest first (secrets redacted)
DELETE /_emulator/requests
POST   /_emulator/clock             {"advance_seconds": 31}: expire codes without waiting
GET    /_emulator/config            the configuration, without the client secret
PATCH  /_emulator/config            {"code_ttl_seconds"?, "redirect_uris"?, ...}
"""

from __future__ import annotations

from dataclasses import fields as dataclass_fields

from xemulator.responses import Request, Response, json_response
from xemulator.state import EmulatorConfig, EmulatorError, EmulatorState, Fault
from xemulator.users import USER_FIELDS, user_json

PREFIX = "/_emulator/"
CONFIGURABLE = {f.name for f in dataclass_fields(EmulatorConfig)}


def _error(message: str, status: int = 400) -> Response:
    return json_response({"error": message}, status)


def _full_user(user) -> dict:
    return user_json(user, USER_FIELDS)


def dispatch(state: EmulatorState, request: Request) -> Response:
    route = request.path.removeprefix(PREFIX).strip("/")
    method = request.method
    payload: dict = {}
    if method in ("POST", "PATCH"):
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
    return _error("no such control endpoint", 404)
