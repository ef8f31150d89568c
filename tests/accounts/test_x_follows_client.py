"""accounts.x.follows: tweepy's real Client reading following lists from the X emulator, and
a typed error for each way X can fail to give one (never tweepy mocked)."""

import logging
from datetime import UTC, datetime, timedelta

import pytest

from accounts.x.follows import (
    FollowsForbidden,
    FollowsMalformedPage,
    FollowsNotAuthorized,
    FollowsRateLimited,
    FollowsTokenRevoked,
    FollowsUnavailable,
    FollowsUserGone,
    following_ids,
)
from tests.xemulator.conftest import MAYA, XApp

JONAS, PRIYA, KENJI = "1460000000000000002", "1460000000000000003", "1460000000000000006"
FOLLOWS_SCOPE = "users.read tweet.read follows.read offline.access"
PATH = f"/2/users/{MAYA}/following"


@pytest.fixture
def emulator(x_emulator_settings):
    return x_emulator_settings


@pytest.fixture
def token(emulator):
    """A user token from the emulator's OAuth dance: token() is Maya's, token(JONAS) his."""
    app = XApp(emulator)

    def issue(user_id: str = MAYA, scope: str = FOLLOWS_SCOPE) -> str:
        return app.access_token(user_id=user_id, scope=scope)

    return issue


def read_all(access_token: str, x_user_id: str = MAYA, *, max_ids: int = 100_000, **kw):
    return list(following_ids(access_token, x_user_id, max_ids=max_ids, **kw))


def following_requests(emulator, path: str = PATH) -> list[dict]:
    return emulator.control.requests(path)


def test_the_demo_graph_in_one_page(token):
    (page,) = read_all(token())

    assert page.ids == (JONAS, PRIYA, "1460000000000000004", "1460000000000000005", KENJI)
    assert page.protected_ids == {KENJI}
    assert page.next_token is None
    assert page.rate_limit_remaining == 14
    assert page.rate_limit_reset > datetime.now(UTC)


def test_following_nobody_is_one_empty_page(emulator, token):
    emulator.control.set_following(MAYA, [])

    (page,) = read_all(token())

    assert page.ids == ()
    assert page.next_token is None
    assert len(following_requests(emulator)) == 1


def test_2500_follows_come_in_three_pages_of_up_to_a_thousand(emulator, token):
    emulator.control.set_following(MAYA, [JONAS], generate=2499, protected_every=100)

    pages = read_all(token())

    assert [len(page.ids) for page in pages] == [1000, 1000, 500]
    ids = [user_id for page in pages for user_id in page.ids]
    assert len(set(ids)) == 2500 and ids[0] == JONAS
    assert sum(len(page.protected_ids) for page in pages) == 24
    sent = [entry["query"] for entry in following_requests(emulator)]
    assert [q["max_results"] for q in sent] == ["1000"] * 3
    assert "pagination_token" not in sent[0]
    assert [q["pagination_token"] for q in sent[1:]] == [p.next_token for p in pages[:2]]
    assert all(q["user.fields"] == "protected" for q in sent)


def test_the_cap_asks_x_for_no_more_than_it_keeps(emulator, token):
    emulator.control.set_following(MAYA, generate=2500)

    pages = read_all(token(), max_ids=1200)

    assert [len(page.ids) for page in pages] == [1000, 200]
    assert pages[-1].next_token is not None  # there was more; the cap stopped it
    sent = [entry["query"]["max_results"] for entry in following_requests(emulator)]
    assert sent == ["1000", "200"]  # X bills each user a page returns


def test_no_ids_wanted_means_no_request(emulator, token):
    assert read_all(token(), max_ids=0) == []
    assert following_requests(emulator) == []


def test_an_id_that_is_not_an_x_id_is_refused_before_asking(emulator, token):
    with pytest.raises(ValueError):
        read_all(token(), "maya_okafor")

    assert [r for r in emulator.control.requests() if r["path"].endswith("/following")] == []


# --- rate limits ------------------------------------------------------------------------------


def test_a_429_mid_way_raises_with_the_reset_and_where_to_resume(emulator, token):
    emulator.control.set_following(MAYA, generate=2500)
    emulator.control.add_fault(PATH, status=429, after=1, reset_seconds=600)
    access_token = token()
    pages = []

    with pytest.raises(FollowsRateLimited) as raised:
        for page in following_ids(access_token, MAYA, max_ids=100_000):
            pages.append(page)

    assert [len(page.ids) for page in pages] == [1000]  # the first page was kept
    limited = raised.value
    expected = datetime.now(UTC) + timedelta(seconds=600)
    assert abs((limited.reset_at - expected).total_seconds()) <= 2
    assert limited.resume_token == pages[0].next_token
    assert len(following_requests(emulator)) == 2  # it asked once and gave up, no waiting
    rest = read_all(access_token, pagination_token=limited.resume_token)
    ids = [i for page in pages + rest for i in page.ids]
    assert len(ids) == len(set(ids)) == 2500


def test_the_15_request_budget_running_out_on_the_third_page(emulator, token):
    emulator.control.configure(follows_rate_limit=2)
    emulator.control.set_following(MAYA, generate=2500)
    pages = []

    with pytest.raises(FollowsRateLimited) as raised:
        pages.extend(following_ids(token(), MAYA, max_ids=100_000))

    assert len(pages) == 2
    assert pages[-1].rate_limit_remaining == 0
    assert raised.value.reset_at == pages[-1].rate_limit_reset


def test_a_429_with_a_garbled_reset_waits_at_most_a_window(emulator, token):
    emulator.control.add_fault(PATH, status=429, headers={"x-rate-limit-reset": "soon"})

    with pytest.raises(FollowsRateLimited) as raised:
        read_all(token())

    wait = raised.value.reset_at - datetime.now(UTC)
    assert timedelta(minutes=14) < wait <= timedelta(minutes=16, seconds=1)


# --- tokens and accounts ---------------------------------------------------------------------


def test_a_revoked_token_is_a_typed_error(emulator, token):
    access_token = token()
    emulator.control.revoke_tokens(MAYA)

    with pytest.raises(FollowsTokenRevoked) as raised:
        read_all(access_token)

    assert raised.value.message == (
        "X no longer accepts this connection: it was revoked or has expired."
    )


def test_a_token_revoked_between_pages(emulator, token):
    emulator.control.set_following(MAYA, generate=2500)
    pages = following_ids(token(), MAYA, max_ids=100_000)
    first = next(pages)
    emulator.control.revoke_tokens(MAYA)

    with pytest.raises(FollowsTokenRevoked):
        next(pages)

    assert len(first.ids) == 1000


def test_an_expired_token_is_revoked_too(emulator, token):
    access_token = token()
    emulator.control.advance_clock(7201)

    with pytest.raises(FollowsTokenRevoked):
        read_all(access_token)


def test_a_token_without_follows_read_is_forbidden(token):
    with pytest.raises(FollowsForbidden):
        read_all(token(scope="users.read tweet.read offline.access"))


def test_a_deleted_account(emulator, token, settings):
    own_token = token(PRIYA)
    emulator.control.delete_user(PRIYA)

    with pytest.raises(FollowsUserGone) as raised:
        read_all(settings.X_BEARER_TOKEN, PRIYA)  # the app's token: X says it is gone
    with pytest.raises(FollowsTokenRevoked):
        read_all(own_token, PRIYA)  # the person's own token died with the account

    assert "Could not find user" in str(raised.value)
    assert raised.value.message.startswith("X could not find this account")


def test_a_protected_account_the_token_may_not_see(token):
    with pytest.raises(FollowsNotAuthorized):
        read_all(token(PRIYA), KENJI)


# --- what X sends back -----------------------------------------------------------------------


def test_a_page_cut_off_mid_json(emulator, token):
    emulator.control.set_following(MAYA, generate=2500)
    emulator.control.add_fault(PATH, "malformed", after=1)
    pages = []

    with pytest.raises(FollowsMalformedPage):
        pages.extend(following_ids(token(), MAYA, max_ids=100_000))

    assert [len(page.ids) for page in pages] == [1000]


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"data": "everyone"},
        {"data": [{"id": "not-digits", "name": "A", "username": "a"}], "meta": {}},
        {"data": [{"name": "A", "username": "a"}], "meta": {"result_count": 1}},
        {"data": ["1460000000000000002"], "meta": {"result_count": 1}},
        {"data": [{"id": JONAS, "name": "J", "username": "j"}]},
        {"data": [{"id": JONAS, "name": "J", "username": "j"}], "meta": {"result_count": 7}},
        {"data": [{"id": JONAS, "name": "J", "username": "j"}], "meta": {"next_token": 5}},
        {"errors": "oops"},
    ],
    ids=[
        "a list",
        "data not a list",
        "bad id",
        "no id",
        "ids not users",
        "no meta",
        "wrong count",
        "token not a string",
        "errors not a list",
    ],
)
def test_a_page_not_in_xs_shape(emulator, token, body):
    emulator.control.add_fault(PATH, "json", body=body)

    with pytest.raises(FollowsMalformedPage):
        read_all(token())


def test_x_down_is_unavailable(emulator, token):
    emulator.control.add_fault(PATH, status=503)

    with pytest.raises(FollowsUnavailable):
        read_all(token())


def test_x_too_slow_is_unavailable(emulator, token, settings):
    settings.X_API_TIMEOUT_SECONDS = 0.2
    emulator.control.add_fault(PATH, "slow", delay_seconds=5)

    with pytest.raises(FollowsUnavailable):
        read_all(token())


def test_the_token_stays_out_of_the_logs(emulator, token, caplog):
    access_token = token()

    with caplog.at_level(logging.DEBUG):
        read_all(access_token)
        emulator.control.add_fault(PATH, status=429)
        with pytest.raises(FollowsRateLimited):
            read_all(access_token)

    assert access_token not in caplog.text
