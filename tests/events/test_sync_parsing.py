"""Reading X's wire format: text as typed, what counts as a malformed post."""

import pytest

from events.sync.parsing import parse_page, parse_post, unescape_x_text


@pytest.mark.parametrize(
    ("sent", "typed"),
    [
        ("Fish &amp; chips", "Fish & chips"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"),
        ("I typed &amp;amp; literally", "I typed &amp; literally"),
        ("I typed &amp;lt; literally", "I typed &lt; literally"),
        ("&quot;quotes&quot; and &#39; stay", "&quot;quotes&quot; and &#39; stay"),
    ],
)
def test_x_escaping_is_undone_exactly_once(sent, typed):
    assert unescape_x_text(sent) == typed


def raw_post(**changes):
    return {
        "id": "1900000000000000001",
        "text": "Hi #ATXtweetup",
        "author_id": "42",
        "created_at": "2026-08-20T10:00:00.000Z",
        "entities": {"hashtags": [{"start": 3, "end": 14, "tag": "ATXtweetup"}]},
        "lang": "en",
        **changes,
    }


def test_a_post_parses_with_case_folded_hashtags():
    post = parse_post(raw_post())
    assert post.x_id == 1900000000000000001
    assert post.hashtags == frozenset({"atxtweetup"})
    assert post.created_at.isoformat() == "2026-08-20T10:00:00+00:00"
    assert parse_post(
        raw_post(entities={"hashtags": [{"start": 3, "end": 14, "tag": "ATXſtraße"}]})
    ).hashtags == frozenset({"atxstrasse"})


@pytest.mark.parametrize("note", [None, "text", {"text": ""}, {"text": None}, {"entities": {}}])
def test_a_note_tweet_without_text_leaves_the_post_as_sent(note):
    post = parse_post(raw_post(note_tweet=note))
    assert (post.text, post.hashtags) == ("Hi #ATXtweetup", frozenset({"atxtweetup"}))


def test_text_postgresql_cannot_store_is_cleaned():
    post = parse_post(raw_post(text="a\x00b \ud800 #ATXtweetup"))
    assert post.text == "ab ? #ATXtweetup"


@pytest.mark.parametrize(
    "changes",
    [
        {"id": "12ab"},
        {"id": "99999999999999999999"},  # beyond 64 bits
        {"id": 1900000000000000001},  # a number, not X's string
        {"text": None},
        {"author_id": None},
        {"created_at": "2026-08-20T10:00:00"},  # no time zone
        {"entities": "#ATXtweetup"},
        {"entities": {"hashtags": "ATXtweetup"}},
    ],
)
def test_malformed_posts_are_refused(changes):
    with pytest.raises((KeyError, TypeError, ValueError)):
        parse_post(raw_post(**changes))


def test_a_page_without_results_has_no_data_key():
    page = parse_page({"meta": {"result_count": 0}})
    assert (page.posts, page.result_count, page.next_token) == ([], 0, None)


def test_a_page_keeps_good_posts_next_to_bad_ones():
    page = parse_page(
        {
            "data": [raw_post(), raw_post(id="x"), "not even an object"],
            "includes": {"users": [{"id": "42", "username": "ada", "name": "Ada"}]},
            "meta": {"result_count": 3, "next_token": "abc"},
        }
    )
    assert [p.x_id for p in page.posts] == [1900000000000000001]
    assert (page.skipped, page.result_count, page.next_token) == (2, 3, "abc")
    assert page.authors[42].profile_image_url == ""
