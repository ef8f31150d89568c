"""GET /2/tweets/search/recent, in which order and in which pages: newest first with ids
that grow with time, since_id, until_id, start_time and end_time, the last seven days
only, next_token pages that reach every post once (each token for its own query),
max_results, and relevancy order."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.xemulator.conftest import WEEK, ago, ids, only_error, post


def test_newest_first_with_meta(x_emulator, x_search):
    oldest = post(x_emulator, "one #Order", created_at=ago(300))
    middle = post(x_emulator, "two #Order", created_at=ago(200))
    newest = post(x_emulator, "three #Order", created_at=ago(100))

    body = x_search("#Order").json()

    assert [t["id"] for t in body["data"]] == [newest, middle, oldest]
    assert body["meta"] == {"newest_id": newest, "oldest_id": oldest, "result_count": 3}
    assert int(oldest) < int(middle) < int(newest)


def test_ids_grow_with_time_even_when_posted_out_of_order(x_emulator):
    later = post(x_emulator, "later", created_at=ago(10))
    earlier = post(x_emulator, "earlier", created_at=ago(20))
    now = post(x_emulator, "now")

    assert int(earlier) < int(later) < int(now)
    assert [t["id"] for t in x_emulator.control.tweets()] == [now, later, earlier]


def test_since_id_and_until_id_are_exclusive(x_emulator, x_search):
    p1, p2, p3, p4, p5 = (
        post(x_emulator, f"{i} #Bounds", created_at=ago(60 - i)) for i in range(5)
    )

    assert ids(x_search("#Bounds", since_id=p2)) == [p5, p4, p3]
    assert ids(x_search("#Bounds", until_id=p4)) == [p3, p2, p1]
    assert ids(x_search("#Bounds", since_id=p2, until_id=p4)) == [p3]
    assert ids(x_search("#Bounds", since_id=p5)) == []


def test_start_time_is_inclusive_and_end_time_exclusive(x_emulator, x_search):
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    at = [base + timedelta(minutes=m) for m in (0, 10, 20)]
    first, second, third = (post(x_emulator, "#Window", created_at=t.isoformat()) for t in at)

    def stamp(moment):
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    assert ids(x_search("#Window", start_time=stamp(at[1]))) == [third, second]
    assert ids(x_search("#Window", end_time=stamp(at[1]))) == [first]
    assert ids(x_search("#Window", start_time=stamp(at[0]), end_time=stamp(at[2]))) == [
        second,
        first,
    ]


def test_only_the_last_seven_days(x_emulator, x_search):
    post(x_emulator, "too old #Week", created_at=ago(WEEK + 60))
    edge = post(x_emulator, "just in #Week", created_at=ago(WEEK - 60))
    fresh = post(x_emulator, "fresh #Week")

    assert ids(x_search("#Week")) == [fresh, edge]
    x_emulator.control.advance_clock(120)
    assert ids(x_search("#Week")) == [fresh]


def test_paging_reaches_every_post_exactly_once_with_the_same_since_id(x_emulator, x_search):
    before = post(x_emulator, "already synced #Paging", created_at=ago(2000))
    posted = x_emulator.control.post_tweets(
        [
            {"username": "jonasweber", "text": f"post {i} #Paging", "created_at": ago(1000 - i)}
            for i in range(57)
        ]
    )
    assert posted["created"] == 57

    seen, pages, params = [], [], {"since_id": before, "max_results": 10}
    while True:
        body = x_search("#Paging", **params).json()
        pages.append(body["meta"])
        seen += [t["id"] for t in body["data"]]
        if "next_token" not in body["meta"]:
            break
        params["next_token"] = body["meta"]["next_token"]
        if len(pages) == 1:
            # A post arriving mid-way is for the next poll, not for this run of pages.
            arrived = post(x_emulator, "late #Paging")

    assert [p["result_count"] for p in pages] == [10, 10, 10, 10, 10, 7]
    assert len(seen) == len(set(seen)) == 57
    assert seen == sorted(seen, key=int, reverse=True)
    assert before not in seen and arrived not in seen
    assert (seen[0], seen[-1]) == (posted["newest_id"], posted["oldest_id"])
    assert ids(x_search("#Paging", since_id=pages[0]["newest_id"])) == [arrived]


def test_a_next_token_only_works_for_its_own_query(x_emulator, x_search):
    x_emulator.control.generate_tweets(["Tokens"], 15)
    token = x_search("#Tokens").json()["meta"]["next_token"]

    other_query = only_error(x_search("#Other", next_token=token))
    garbage = only_error(x_search("#Tokens", next_token="not-a-token!"))
    # A different last character, whatever the token ends with.
    tampered_token = token[:-1] + ("1" if token.endswith("0") else "0")
    tampered = only_error(x_search("#Tokens", next_token=tampered_token))

    assert other_query["parameters"] == {"next_token": [token]}
    assert (
        garbage["message"] == "The `next_token` query parameter value [not-a-token!] is not valid"
    )
    assert tampered["parameters"] == {"next_token": [tampered_token]}
    assert len(ids(x_search("#Tokens", pagination_token=token))) == 5


@pytest.mark.parametrize("token", ["-abc", "a_b", " abc", "ABC", "z" * 300])
def test_tokens_that_are_not_base36_are_invalid(x_search, token):
    assert only_error(x_search("#a", next_token=token))["parameters"] == {"next_token": [token]}


@pytest.mark.parametrize(("max_results", "count"), [(None, 10), ("10", 10), ("100", 100)])
def test_max_results_and_its_default(x_emulator, x_search, max_results, count):
    x_emulator.control.generate_tweets(["Many"], 105)
    params = {"max_results": max_results} if max_results else {}

    body = x_search("#Many", **params).json()

    assert body["meta"]["result_count"] == len(body["data"]) == count
    assert "next_token" in body["meta"]


@pytest.mark.parametrize("max_results", ["9", "101", "0", "ten", "-5", ""])
def test_max_results_out_of_bounds(x_search, max_results):
    error = only_error(x_search("#a", max_results=max_results))

    assert error == {
        "parameters": {"max_results": [max_results]},
        "message": f"The `max_results` query parameter value [{max_results}] is not between 10 "
        "and 100",
    }


def test_relevancy_orders_by_engagement(x_emulator, x_search):
    quiet = post(x_emulator, "quiet #Rel", public_metrics={"like_count": 1})
    loud = post(x_emulator, "loud #Rel", created_at=ago(60), public_metrics={"like_count": 50})

    assert ids(x_search("#Rel")) == [quiet, loud]
    assert ids(x_search("#Rel", sort_order="relevancy")) == [loud, quiet]
    assert only_error(x_search("#Rel", sort_order="popular"))["parameters"] == {
        "sort_order": ["popular"]
    }


def test_relevancy_pages_do_not_repeat(x_emulator, x_search):
    x_emulator.control.post_tweets(
        [
            {
                "username": "maya_okafor",
                "text": f"#RelPages {i}",
                "public_metrics": {"like_count": i % 4},
            }
            for i in range(25)
        ]
    )
    seen, params = [], {"sort_order": "relevancy"}
    while True:
        body = x_search("#RelPages", **params).json()
        seen += body["data"]
        if "next_token" not in body["meta"]:
            break
        params["next_token"] = body["meta"]["next_token"]

    assert len({t["id"] for t in seen}) == len(seen) == 25
