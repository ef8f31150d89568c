"""GET /2/tweets/search/recent: what it finds, in which order, in which pages, as X sends it."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.xemulator.conftest import MAYA, ago

JONAS = "1460000000000000002"
WEEK = 7 * 24 * 60 * 60


def ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [tweet["id"] for tweet in response.json().get("data", [])]


def post(emulator, text: str, username: str = "maya_okafor", **options) -> str:
    return emulator.control.post_tweet(username, text, **options)["id"]


def only_error(response) -> dict:
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["title"] == "Invalid Request"
    assert body["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert body["detail"] == "One or more parameters to your request was invalid."
    (error,) = body["errors"]
    return error


# --- matching -----------------------------------------------------------------------------


def test_a_hashtag_matches_exactly_and_in_any_case(x_emulator, x_search):
    typed = post(x_emulator, "Hello #BerlinTweetup")
    lower = post(x_emulator, "hi #berlintweetup", "jonasweber")
    post(x_emulator, "#BerlinTweetups is another one")
    post(x_emulator, "BerlinTweetup without the sign")
    post(x_emulator, "#Berlin alone")

    assert ids(x_search("#BERLINTWEETUP")) == [lower, typed]


def test_or_groups_and_retweets(x_emulator, x_search):
    austin = post(x_emulator, "Tacos at #ATXtweetup")
    berlin = post(x_emulator, "Currywurst at #BerlinTweetup", "jonasweber")
    post(x_emulator, "Elsewhere #SydneyTweetup")
    retweet = x_emulator.control.post_tweet("priya_codes", retweet_of=austin)["id"]
    typed_retweet = post(x_emulator, "RT @jonasweber: #BerlinTweetup", "samcarter", is_retweet=True)

    batched = "(#ATXtweetup OR #BerlinTweetup)"
    assert ids(x_search(f"{batched} -is:retweet")) == [berlin, austin]
    assert ids(x_search(f"{batched} is:retweet")) == [typed_retweet, retweet]
    assert ids(x_search("#ATXtweetup OR #BerlinTweetup #SydneyTweetup")) == [retweet, austin]
    assert ids(x_search("#BerlinTweetup -from:samcarter")) == [berlin]


def test_keywords_are_optional_and_combine_with_and(x_emulator, x_search):
    keyword = post(x_emulator, "Tonight: TWEETUP at #Kreuzberg")
    without = post(x_emulator, "No such word at #Kreuzberg")

    assert ids(x_search("tweetup #kreuzberg")) == [keyword]
    assert ids(x_search("#kreuzberg -tweetup")) == [without]
    assert ids(x_search("#kreuzberg")) == [without, keyword]


def test_protected_accounts_are_not_found(x_emulator, x_search):
    hidden = post(x_emulator, "Quiet #Tokyo", "kenji_sato")  # a protected demo account

    assert ids(x_search("#Tokyo")) == []
    x_emulator.control.update_user("1460000000000000006", protected=False)
    assert ids(x_search("#Tokyo")) == [hidden]


def test_no_results_is_just_a_zero_count(x_emulator, x_search):
    post(x_emulator, "#Something")

    response = x_search("#Nothing", expansions="author_id")

    assert response.json() == {"meta": {"result_count": 0}}


# --- order, bounds and pages ----------------------------------------------------------------


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


# --- what a post looks like -------------------------------------------------------------------


def test_text_comes_html_escaped_once(x_emulator, x_search):
    typed = 'Tom & Jerry <script>alert("x")</script> &amp; 1 > 0 #Esc'
    post(x_emulator, typed)

    (tweet,) = x_search("#Esc").json()["data"]

    assert tweet["text"] == (
        'Tom &amp; Jerry &lt;script&gt;alert("x")&lt;/script&gt; &amp;amp; 1 &gt; 0 #Esc'
    )
    assert html.unescape(tweet["text"]) == typed


def test_entity_offsets_count_code_points_of_the_unescaped_text(x_emulator, x_search):
    post(
        x_emulator,
        "🏃‍♀️ late & <sorry> to #EmojiTweetup 👩🏽‍💻 ask @jonasweber https://example.com/🙂",
    )

    (tweet,) = x_search("#emojitweetup", **{"tweet.fields": "entities"}).json()["data"]

    text = html.unescape(tweet["text"])
    entities = tweet["entities"]
    (hashtag,) = entities["hashtags"]
    (mention,) = entities["mentions"]
    (url,) = entities["urls"]
    assert text[hashtag["start"] : hashtag["end"]] == "#EmojiTweetup"
    assert hashtag["tag"] == "EmojiTweetup"
    assert text[mention["start"] : mention["end"]] == "@jonasweber"
    assert mention["id"] == JONAS
    assert text[url["start"] : url["end"]] == url["url"]
    assert url["expanded_url"] == "https://example.com/"
    assert text.endswith(url["url"] + "🙂")


def test_default_fields_and_requested_ones(x_emulator, x_search):
    post(
        x_emulator, "Hello #Fields https://example.com", lang="de", public_metrics={"like_count": 3}
    )

    (bare,) = x_search("#Fields").json()["data"]
    (full,) = x_search(
        "#Fields",
        **{"tweet.fields": "created_at,author_id,entities,lang,public_metrics,conversation_id"},
    ).json()["data"]

    assert set(bare) == {"id", "text", "edit_history_tweet_ids"}
    assert bare["edit_history_tweet_ids"] == [bare["id"]]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", full["created_at"])
    assert full["author_id"] == MAYA
    assert full["lang"] == "de"
    assert full["conversation_id"] == full["id"]
    assert full["public_metrics"] == {
        "retweet_count": 0,
        "reply_count": 0,
        "like_count": 3,
        "quote_count": 0,
        "bookmark_count": 0,
        "impression_count": 0,
    }
    assert set(full["entities"]) == {"hashtags", "urls"}


def test_a_retweet_carries_the_original_and_points_at_it(x_emulator, x_search):
    original = post(x_emulator, "Meet me at #RT & bring https://example.com/map")
    retweet = x_emulator.control.post_tweet("jonasweber", retweet_of=original)["id"]

    body = x_search(
        "#RT is:retweet",
        expansions="referenced_tweets.id,referenced_tweets.id.author_id",
        **{"tweet.fields": "referenced_tweets,entities", "user.fields": "username"},
    ).json()

    (tweet,) = body["data"]
    assert tweet["id"] == retweet
    assert tweet["text"].startswith("RT @maya_okafor: Meet me at #RT &amp; bring https://t.co/")
    assert tweet["referenced_tweets"] == [{"type": "retweeted", "id": original}]
    text = html.unescape(tweet["text"])
    for kind, shown in (("hashtags", "#RT"), ("mentions", "@maya_okafor")):
        (entity,) = tweet["entities"][kind]
        assert text[entity["start"] : entity["end"]] == shown
    assert [t["id"] for t in body["includes"]["tweets"]] == [original]
    assert [u["username"] for u in body["includes"]["users"]] == ["maya_okafor"]


# --- expansions ------------------------------------------------------------------------------


def test_author_expansion_lists_each_author_once(x_emulator, x_search):
    x_emulator.control.add_user("no_avatar", name="No Avatar")
    post(x_emulator, "first #Authors", created_at=ago(30))
    post(x_emulator, "second #Authors", "no_avatar", created_at=ago(20))
    post(x_emulator, "third #Authors", created_at=ago(10))

    body = x_search(
        "#Authors",
        expansions="author_id",
        **{"tweet.fields": "author_id", "user.fields": "name,username,profile_image_url"},
    ).json()

    maya, no_avatar = body["includes"]["users"]
    assert maya == {
        "id": MAYA,
        "name": "Maya Okafor",
        "username": "maya_okafor",
        "profile_image_url": f"https://pbs.twimg.com/profile_images/{MAYA}/maya_okafor_normal.jpg",
    }
    assert no_avatar["username"] == "no_avatar"
    assert "profile_image_url" not in no_avatar
    assert [t["author_id"] for t in body["data"]] == [MAYA, no_avatar["id"], MAYA]


def test_mention_expansion_and_none_without_expansions(x_emulator, x_search):
    post(x_emulator, "ask @jonasweber and @nobody_at_all #Mentions")

    expanded = x_search("#Mentions", expansions="entities.mentions.username").json()
    plain = x_search("#Mentions").json()

    assert [u["id"] for u in expanded["includes"]["users"]] == [JONAS]
    assert "includes" not in plain


# --- errors ------------------------------------------------------------------------------------


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


def test_a_long_post_comes_cut_at_280_with_all_of_it_in_note_tweet(
    x_emulator, x_search, assert_matches_x_openapi
):
    typed = "Long one about #NoteTweetup & more: " + "word " * 100 + "and at the end @jonasweber"
    post(x_emulator, typed)

    short = x_search("#notetweetup", **{"tweet.fields": "entities"})
    with_note = x_search("#notetweetup", **{"tweet.fields": "entities,note_tweet"})

    assert_matches_x_openapi(short)
    assert_matches_x_openapi(with_note)
    (full,) = with_note.json()["data"]
    (tweet,) = short.json()["data"]
    assert "note_tweet" not in tweet
    assert html.unescape(tweet["text"]) == typed[:279] + "…"
    assert set(tweet["entities"]) == {"hashtags"}  # the mention is past the cut
    assert html.unescape(full["note_tweet"]["text"]) == typed
    assert full["note_tweet"]["text"].startswith("Long one about #NoteTweetup &amp; more")
    note = full["note_tweet"]["entities"]
    (mention,) = note["mentions"]
    assert typed[mention["start"] : mention["end"]] == "@jonasweber"
    assert full["entities"] == tweet["entities"]
