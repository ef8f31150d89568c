"""The /_emulator/ control API: users, faults, the request log, the clock, the config and
the rate limit."""

import json

import pytest
import requests

from tests.xemulator.conftest import JONAS, MAYA, SEARCH_PATH
from xemulator.client import EmulatorControlError


def test_reset_brings_back_the_demo_users_and_forgets_the_rest(x_emulator, x_app):
    control = x_emulator.control
    control.add_user("extra_person")
    control.update_user(MAYA, username="renamed")
    control.add_fault("/2/users/me", count=5)
    token = x_app.access_token()

    control.reset()

    assert [u["username"] for u in control.users()] == [
        "maya_okafor",
        "jonasweber",
        "priya_codes",
        "luciafdez",
        "samcarter",
        "kenji_sato",
    ]
    assert control.faults() == []
    assert control.requests() == []
    assert x_app.me(token).status_code == 401


def test_add_user_returns_it_with_a_new_id(x_emulator):
    user = x_emulator.control.add_user(
        "new_person", name="New Person", profile_image_url="https://example.com/a.jpg"
    )

    assert user["username"] == "new_person"
    assert user["name"] == "New Person"
    assert user["id"].isdigit()
    assert x_emulator.control.user(user["id"]) == user


def test_add_user_with_a_chosen_id(x_emulator):
    user = x_emulator.control.add_user("chosen", id="42")

    assert user["id"] == "42"


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"username": "maya_okafor"}, 409),
        ({"username": "MAYA_OKAFOR"}, 409),
        ({"username": "has space"}, 400),
        ({"username": "sixteen_chars_xx"}, 400),
        ({"username": "ok", "id": MAYA}, 409),
        ({"username": "ok", "verified": "yes"}, 400),
        ({"username": "ok", "shoe_size": 44}, 400),
        ({}, 400),
    ],
)
def test_add_user_refuses_bad_input(x_emulator, payload, status):
    with pytest.raises(EmulatorControlError) as refused:
        x_emulator.control._call("POST", "users", payload)

    assert refused.value.status == status
    assert len(x_emulator.control.users()) == 6


def test_update_user_of_an_unknown_id_is_a_404(x_emulator):
    with pytest.raises(EmulatorControlError) as refused:
        x_emulator.control.update_user("999", name="Nobody")

    assert refused.value.status == 404


def test_update_user_cannot_take_another_users_handle(x_emulator):
    with pytest.raises(EmulatorControlError) as refused:
        x_emulator.control.update_user(MAYA, username="jonasweber")

    assert refused.value.status == 409
    assert x_emulator.control.user(MAYA)["username"] == "maya_okafor"


def test_a_status_fault_hits_the_next_n_requests_then_stops(x_app, x_emulator):
    token = x_app.access_token()
    x_emulator.control.add_fault("/2/users/me", status=503, count=2)

    answers = [x_app.me(token) for _ in range(3)]

    assert [a.status_code for a in answers] == [503, 503, 200]
    assert answers[0].json()["title"] == "Service Unavailable"
    assert x_emulator.control.faults() == []


def test_a_fault_defaults_to_503_once(x_app, x_emulator):
    token = x_app.access_token()
    fault = x_emulator.control.add_fault("/2/users/me")

    assert (fault["status"], fault["remaining"]) == (None, 1)
    assert [x_app.me(token).status_code for _ in range(2)] == [503, 200]


def test_a_fault_only_hits_its_own_path(x_app, x_emulator):
    x_emulator.control.add_fault("/2/users/me", status=500)

    response = x_app.exchange(x_app.code())

    assert response.status_code == 200
    assert x_app.me(response.json()["access_token"]).status_code == 500


def test_a_malformed_fault_sends_broken_json(x_app, x_emulator):
    token = x_app.access_token()
    x_emulator.control.add_fault("/2/users/me", "malformed")

    response = x_app.me(token)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_a_json_fault_sends_the_given_body_and_status(x_app, x_emulator):
    x_emulator.control.add_fault("/2/oauth2/token", "json", status=418, body={"surprise": True})

    response = x_app.exchange(x_app.code())

    assert response.status_code == 418
    assert response.json() == {"surprise": True}


def test_a_slow_fault_holds_the_answer_until_the_client_gives_up(x_app, x_emulator):
    token = x_app.access_token()
    x_emulator.control.add_fault("/2/users/me", "slow", delay_seconds=30)

    with pytest.raises(requests.ReadTimeout):
        requests.get(
            x_app.base_url + "/2/users/me",
            headers={"Authorization": f"Bearer {token}"},
            timeout=0.3,
        )
    x_emulator.control.reset()  # wakes the held request instead of leaving it for 30 s


def test_a_slow_fault_answers_normally_after_the_delay(x_app, x_emulator):
    token = x_app.access_token()
    x_emulator.control.add_fault("/2/users/me", "slow", delay_seconds=0.01)

    response = x_app.me(token)

    assert response.status_code == 200
    assert x_emulator.control.requests("/2/users/me")[-1]["fault"] == "slow"


def test_a_trickle_fault_sends_the_usual_answer_a_byte_at_a_time(x_app, x_emulator):
    token = x_app.access_token()
    expected = x_app.me(token).content
    x_emulator.control.add_fault("/2/users/me", "trickle", delay_seconds=0.002)

    response = requests.get(
        x_app.base_url + "/2/users/me",
        headers={"Authorization": f"Bearer {token}"},
        stream=True,
        timeout=10,
    )
    first = response.raw.read1(1024)  # what has come so far: a byte or so, not the body
    rest = response.raw.read()

    assert len(first) < len(expected) / 2
    assert first + rest == expected
    assert x_emulator.control.requests("/2/users/me")[-1]["fault"] == "trickle"


@pytest.mark.parametrize(
    "payload",
    [
        {"path": "/2/users/me", "kind": "explode"},
        {"path": "2/users/me"},
        {"path": "/2/users/me", "count": 0},
        {"path": "/2/users/me", "status": 200},
        {"path": "/2/users/me", "kind": "json", "status": 99},
        {"kind": "status"},
        {"path": "/2/users/me", "count": "many"},
    ],
)
def test_bad_faults_are_refused(x_emulator, payload):
    with pytest.raises(EmulatorControlError) as refused:
        x_emulator.control._call("POST", "faults", payload)

    assert refused.value.status == 400
    assert x_emulator.control.faults() == []


def test_the_control_api_is_never_faulted_nor_logged(x_emulator):
    x_emulator.control.add_fault("/_emulator/users", status=500)

    assert len(x_emulator.control.users()) == 6
    assert x_emulator.control.requests() == []


def test_the_request_log_keeps_what_was_asked_but_not_the_secrets(x_app, x_emulator):
    token_response = x_app.exchange(x_app.code())
    x_app.me(token_response.json()["access_token"], **{"user.fields": "id"})

    log = x_emulator.control.requests()

    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", "/i/oauth2/authorize", 200),
        ("POST", "/i/oauth2/authorize", 302),
        ("POST", "/2/oauth2/token", 200),
        ("GET", "/2/users/me", 200),
    ]
    token_call = log[2]
    assert token_call["authorization"] == "basic"
    assert token_call["form"]["grant_type"] == "authorization_code"
    assert token_call["form"]["code"] == token_call["form"]["code_verifier"] == "[redacted]"
    assert log[3]["query"] == {"user.fields": "id"}
    serialized = json.dumps(log)
    assert x_app.verifier not in serialized
    assert "tweetups-dev-secret" not in serialized
    assert token_response.json()["access_token"] not in serialized

    x_emulator.control.clear_requests()
    assert x_emulator.control.requests() == []


def test_config_hides_the_secret_and_refuses_unknown_settings(x_emulator):
    config = x_emulator.control.config()

    assert config["client_id"] == "tweetups-dev"
    assert "client_secret" not in config
    assert config["code_ttl_seconds"] == 30
    with pytest.raises(EmulatorControlError) as refused:
        x_emulator.control.configure(debug=True)
    assert refused.value.status == 400
    assert x_emulator.control.configure(code_ttl_seconds="5")["code_ttl_seconds"] == 5.0


def test_unknown_control_endpoints_and_bodies(x_emulator):
    base = x_emulator.base_url + "/_emulator/"

    assert requests.get(base + "nothing-here", timeout=10).status_code == 404
    not_json = requests.post(base + "users", data="{nope", timeout=10)
    assert not_json.status_code == 400
    assert not_json.json() == {"error": "the body must be JSON"}
    assert requests.post(base + "users", json=[1], timeout=10).status_code == 400


# --- the follow graph, deleting an account, revoking its tokens -----------------------------


def test_set_following_replaces_the_list_and_reset_brings_the_demo_graph_back(x_emulator):
    control = x_emulator.control
    demo = control.following(MAYA)

    changed = control.set_following(MAYA, [JONAS], generate=100_000, seed=3, protected_every=7)
    control.reset()

    assert demo["count"] == 5 and JONAS in demo["user_ids"]
    assert changed == {
        "count": 100_001,
        "user_ids": [JONAS],
        "generated": 100_000,
        "seed": 3,
        "protected_every": 7,
    }
    assert control.following(MAYA) == demo


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"user_ids": ["999"]}, "no such user: 999"),
        ({"user_ids": [MAYA]}, "cannot follow itself"),
        ({"user_ids": "1460000000000000002"}, "must be a list"),
        ({"generate": -1}, "generate must be"),
        ({"generate": 1_000_001}, "generate must be"),
        ({"generate": 1.5}, "generate must be"),
        ({"seed": 1000}, "seed must be"),
        ({"followers": []}, "unknown fields: followers"),
    ],
)
def test_set_following_refuses_what_it_cannot_do(x_emulator, payload, message):
    response = requests.put(
        x_emulator.base_url + f"/_emulator/users/{MAYA}/following", json=payload, timeout=10
    )

    assert response.status_code == 400
    assert message in response.json()["error"]


def test_following_of_an_unknown_account_is_a_404(x_emulator):
    with pytest.raises(EmulatorControlError) as raised:
        x_emulator.control.set_following("999", [])

    assert raised.value.status == 404


def test_delete_user_removes_the_account(x_emulator):
    control = x_emulator.control

    control.delete_user(JONAS)

    assert JONAS not in [u["id"] for u in control.users()]
    assert JONAS not in control.following(MAYA)["user_ids"]
    with pytest.raises(EmulatorControlError) as raised:
        control.delete_user(JONAS)
    assert raised.value.status == 404


def test_revoke_tokens_of_an_unknown_account_is_a_404(x_emulator):
    with pytest.raises(EmulatorControlError) as raised:
        x_emulator.control.revoke_tokens("999")

    assert raised.value.status == 404


def test_a_fault_after_n_requests_lets_them_through_first(x_emulator, x_app):
    token = x_app.access_token()
    x_emulator.control.add_fault("/2/users/me", status=503, after=2)

    statuses = [x_app.me(token).status_code for _ in range(4)]

    assert statuses == [200, 200, 503, 200]


def test_a_negative_after_is_refused(x_emulator):
    with pytest.raises(EmulatorControlError) as raised:
        x_emulator.control.add_fault("/2/users/me", after=-1)

    assert raised.value.status == 400


# --- the search rate limit's settings, and a 429 fault's reset ---------------------------


@pytest.mark.parametrize(
    "payload",
    [
        {"remaining": 451},
        {"remaining": -1},
        {"limit": -1},
        {"window_seconds": 0},
        {"reset_in_seconds": 0},
        {"reset_in_seconds": 901},
        {"limit": "many"},
        {"limit": 1.5},
        {"budget": 3},
    ],
)
def test_bad_rate_limit_changes_are_refused(x_emulator, payload):
    with pytest.raises(EmulatorControlError) as refused:
        x_emulator.control._call("POST", "rate-limit", payload)

    assert refused.value.status == 400
    assert x_emulator.control.rate_limit()["limit"] == 450


def test_a_negative_reset_on_a_fault_is_refused(x_emulator):
    with pytest.raises(EmulatorControlError) as refused:
        x_emulator.control.add_fault(SEARCH_PATH, status=429, reset_seconds=-1)

    assert refused.value.status == 400
