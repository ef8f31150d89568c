"""GET /2/tweets/search/recent refusing what X refuses, in X's words: a query X can't
parse, a missing or too long query, unknown or malformed parameters (every one listed),
and times or a since_id outside the seven-day window."""

import re

import pytest

from tests.xemulator.conftest import WEEK, ago, ids, only_error, post


def test_a_query_x_would_refuse(x_search):
    error = only_error(x_search("(#a OR #b"))

    assert error == {
        "parameters": {"query": ["(#a OR #b"]},
        "message": "There were errors processing your request: Missing closing parenthesis "
        "(at position 1)",
    }


def test_a_missing_query(x_search):
    assert only_error(x_search()) == {
        "parameters": {"query": []},
        "message": "Request parameter `query` can not be empty",
    }


def test_the_query_length_limit_and_its_setting(x_emulator, x_search):
    longest = "#a " + "x" * 509
    too_long = longest + "x"

    assert x_search(longest).status_code == 200
    error = only_error(x_search(too_long))
    assert error["parameters"] == {"query": [too_long]}
    assert "512" in error["message"]
    x_emulator.control.configure(search_query_max_length=4096)
    assert x_search(too_long).status_code == 200


@pytest.mark.parametrize(
    ("params", "parameter", "message"),
    [
        ({"since_id": "12ab"}, "since_id", "The `since_id` query parameter value [12ab] does not "
         "match ^[0-9]{1,19}$"),
        ({"until_id": "-1"}, "until_id", "The `until_id` query parameter value [-1] does not "
         "match ^[0-9]{1,19}$"),
        ({"q": "#a"}, "q", "[q] is not one of [query,start_time,end_time,since_id,until_id,"
         "max_results,next_token,pagination_token,sort_order,expansions,tweet.fields,media.fields,"
         "poll.fields,user.fields,place.fields]"),
        ({"tweet.fields": "text,shoe_size"}, "tweet.fields", "The `tweet.fields` query parameter "
         "value [shoe_size] is not one of [article,"),
        ({"expansions": "author"}, "expansions", "The `expansions` query parameter value [author] "
         "is not one of [article.cover_media,"),
        ({"user.fields": "email"}, "user.fields", "The `user.fields` query parameter value [email] "
         "is not one of [affiliation,"),
        ({"start_time": "yesterday"}, "start_time", "The `start_time` query parameter value "
         "[yesterday] is not a valid time"),
    ],
)  # fmt: skip
def test_bad_parameters(x_search, params, parameter, message):
    error = only_error(x_search("#a", **params))

    assert list(error["parameters"]) == [parameter]
    assert error["message"].startswith(message)


def test_every_bad_parameter_is_listed(x_search):
    response = x_search("#a)", max_results="5", since_id="x")

    body = response.json()
    assert response.status_code == 400
    assert [list(e["parameters"]) for e in body["errors"]] == [
        ["query"],
        ["max_results"],
        ["since_id"],
    ]


def test_times_outside_the_window_are_refused(x_search):
    too_old = only_error(x_search("#a", start_time=ago(WEEK + 3600)))
    too_recent = only_error(x_search("#a", end_time=ago(2)))
    backwards = only_error(x_search("#a", start_time=ago(600), end_time=ago(1200)))

    assert re.fullmatch(
        r"Invalid 'start_time':'\S+Z'\. "
        r"'start_time' must be on or after \d{4}-\d\d-\d\dT\d\d:\d\dZ",
        too_old["message"],
    )
    assert too_recent["message"].endswith(
        "'end_time' must be a minimum of 10 seconds prior to the request time."
    )
    assert backwards["message"].endswith("'end_time' must be after 'start_time'")


def test_a_since_id_older_than_the_window_is_refused_with_a_suggestion(x_emulator, x_search):
    post(x_emulator, "#Stale")
    error = only_error(x_search("#Stale", since_id="1"))

    found = re.fullmatch(
        r"'since_id' must be a tweet id created after \d{4}-\d\d-\d\dT\d\d:\d\dZ\. "
        r"Please use a 'since_id' that is larger than (\d+)",
        error["message"],
    )
    assert found, error["message"]
    assert error["parameters"] == {"since_id": ["1"]}
    assert len(ids(x_search("#Stale", since_id=found.group(1)))) == 1
