"""GET /2/users/:id/following: the rate limit (15 requests per 15 minutes per user) and
the faults the follows feature must survive, checked against X's OpenAPI description."""

import time

import pytest

from tests.xemulator.conftest import JONAS, MAYA, following_path

TOO_MANY = {"title": "Too Many Requests", "type": "about:blank", "status": 429}


def test_15_requests_per_15_minutes_per_user_then_a_429(
    x_emulator, follows_token, get_following, assert_matches_x_openapi
):
    token = follows_token()
    first = get_following(MAYA, token)
    assert first.headers["x-rate-limit-limit"] == "15"
    assert first.headers["x-rate-limit-remaining"] == "14"
    reset = int(first.headers["x-rate-limit-reset"])
    assert 0 < reset - time.time() <= 15 * 60 + 1
    for _ in range(14):
        assert get_following(MAYA, token).status_code == 200

    limited = get_following(MAYA, token)

    assert limited.status_code == 429
    assert limited.json() == {**TOO_MANY, "detail": "Too Many Requests"}
    assert limited.headers["x-rate-limit-remaining"] == "0"
    assert int(limited.headers["x-rate-limit-reset"]) == reset
    assert_matches_x_openapi(limited)
    assert get_following(MAYA, follows_token(JONAS)).status_code == 200  # his own budget
    x_emulator.control.advance_clock(15 * 60)
    assert get_following(MAYA, token).status_code == 200


def test_the_budget_runs_out_mid_pagination_and_the_token_still_works_after_the_reset(
    x_emulator, follows_token, get_following
):
    x_emulator.control.configure(follows_rate_limit=2)
    x_emulator.control.set_following(MAYA, generate=2500)
    token = follows_token()
    first = get_following(MAYA, token, max_results=1000)
    second = get_following(
        MAYA, token, max_results=1000, pagination_token=first.json()["meta"]["next_token"]
    )
    next_token = second.json()["meta"]["next_token"]

    limited = get_following(MAYA, token, max_results=1000, pagination_token=next_token)
    x_emulator.control.advance_clock(15 * 60)
    resumed = get_following(MAYA, token, max_results=1000, pagination_token=next_token)

    assert limited.status_code == 429
    assert resumed.status_code == 200
    assert resumed.json()["meta"]["result_count"] == 500


def test_a_429_fault_on_the_second_page_says_when_to_come_back(
    x_emulator, follows_token, get_following, assert_matches_x_openapi
):
    x_emulator.control.set_following(MAYA, generate=2500)
    x_emulator.control.add_fault(following_path(MAYA), status=429, after=1, reset_seconds=300)
    token = follows_token()

    first = get_following(MAYA, token, max_results=1000)
    next_token = first.json()["meta"]["next_token"]
    limited = get_following(MAYA, token, max_results=1000, pagination_token=next_token)
    again = get_following(MAYA, token, max_results=1000, pagination_token=next_token)

    assert first.status_code == 200
    assert limited.status_code == 429
    assert limited.headers["x-rate-limit-remaining"] == "0"
    assert abs(int(limited.headers["x-rate-limit-reset"]) - (time.time() + 300)) <= 2
    assert_matches_x_openapi(limited)
    assert again.status_code == 200  # the fault fired once


def test_a_malformed_page_fault_cuts_the_second_page_off(x_emulator, follows_token, get_following):
    x_emulator.control.set_following(MAYA, generate=2500)
    x_emulator.control.add_fault(following_path(MAYA), "malformed", after=1)
    token = follows_token()

    first = get_following(MAYA, token, max_results=1000)
    broken = get_following(
        MAYA, token, max_results=1000, pagination_token=first.json()["meta"]["next_token"]
    )

    assert first.json()["meta"]["result_count"] == 1000
    assert broken.status_code == 200
    with pytest.raises(ValueError):
        broken.json()
    assert "x-rate-limit-reset" in broken.headers
