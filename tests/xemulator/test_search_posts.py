"""GET /2/tweets/search/recent, each post as X sends it: text HTML-escaped once, entity
offsets in code points, the default and the requested fields, a retweet pointing at its
original, a long post cut at 280 with all of it in note_tweet, and the author and
mention expansions."""

import html
import re

from tests.xemulator.conftest import JONAS, MAYA, ago, post


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
