"""How the emulator reads a post's text: t.co links, entities and their offsets, escaping."""

import pytest

from xemulator.text import display_url, escape, parse_text, tco_link, tokens


def sliced(text: str, entity: dict) -> str:
    return text[entity["start"] : entity["end"]]


def test_hashtags_mentions_and_links_with_code_point_offsets():
    parsed = parse_text(
        "👩‍👩‍👧 🇩🇪 🙌🏽 at #BerlinTweetup with @jonasweber: https://example.com/x",
        {"jonasweber": "1460000000000000002"},
    )

    (hashtag,) = parsed.hashtags
    (mention,) = parsed.mentions
    (url,) = parsed.urls
    # The family emoji is five code points, the flag two, the raised hands two: each counts.
    assert hashtag["start"] == 5 + 1 + 2 + 1 + 2 + 4
    assert sliced(parsed.text, hashtag) == "#BerlinTweetup"
    assert hashtag["tag"] == "BerlinTweetup"
    assert sliced(parsed.text, mention) == "@jonasweber"
    assert mention == {**mention, "username": "jonasweber", "id": "1460000000000000002"}
    assert sliced(parsed.text, url) == url["url"]


def test_links_become_23_character_t_co_links():
    parsed = parse_text("Slides: https://example.com/talks/2026/tweetups-and-you?lang=en&v=2.")

    (url,) = parsed.urls
    assert parsed.text == f"Slides: {url['url']}."
    assert url["url"].startswith("https://t.co/")
    assert len(url["url"]) == 23
    assert url["expanded_url"] == "https://example.com/talks/2026/tweetups-and-you?lang=en&v=2"
    assert url["display_url"] == "example.com/talks/2026/tw…"
    assert tco_link(url["expanded_url"]) == url["url"]


@pytest.mark.parametrize(
    ("typed", "expanded"),
    [
        ("(see https://example.com/a_(b))", "https://example.com/a_(b)"),
        ("(see https://example.com/a)", "https://example.com/a"),
        ('"https://example.com/q?x=1"', "https://example.com/q?x=1"),
        ("https://www.example.org/, then", "https://www.example.org/"),
        ("HTTPS://EXAMPLE.COM/A!", "HTTPS://EXAMPLE.COM/A"),
    ],
)
def test_trailing_punctuation_is_not_part_of_a_link(typed, expanded):
    (url,) = parse_text(typed).urls

    assert url["expanded_url"] == expanded


@pytest.mark.parametrize("typed", ["http://localhost/x", "https://nodot", "xhttps://example.com"])
def test_things_that_are_not_links_stay_as_typed(typed):
    parsed = parse_text(typed)

    assert parsed.urls == []
    assert parsed.text == typed


def test_display_url_drops_scheme_and_www():
    assert display_url("https://www.example.com/a") == "example.com/a"
    assert display_url("http://example.com") == "example.com"


@pytest.mark.parametrize(
    ("typed", "tags"),
    [
        ("#one #two,#three.", ["one", "two", "three"]),
        ("#東京 #café #हिन्दी", ["東京", "café", "हिन्दी"]),
        ("＃fullwidth", ["fullwidth"]),
        ("#2026 #2026tweetup", ["2026tweetup"]),  # all digits is no hashtag
        ("&#39; a#b", []),  # an HTML entity, or a # inside a word
        ("#under_score #a-b", ["under_score", "a"]),
        ("#one#two", []),
        ("#tag🎉 and #tag2", ["tag", "tag2"]),
    ],
)
def test_what_counts_as_a_hashtag(typed, tags):
    parsed = parse_text(typed)

    assert [h["tag"] for h in parsed.hashtags] == tags
    for hashtag in parsed.hashtags:
        assert sliced(parsed.text, hashtag)[1:] == hashtag["tag"]


@pytest.mark.parametrize(
    ("typed", "usernames"),
    [
        ("hi @maya_okafor and @Jonas!", ["maya_okafor", "Jonas"]),
        ("mail me@example.com", []),
        ("@sixteen_chars_xx is too long", []),
        ("RT @someone: hello", ["someone"]),
        ("＠fullwidth", ["fullwidth"]),
    ],
)
def test_what_counts_as_a_mention(typed, usernames):
    parsed = parse_text(typed)

    assert [m["username"] for m in parsed.mentions] == usernames


def test_a_mention_of_an_unknown_account_has_no_id():
    (mention,) = parse_text("@nobody_here", {"maya_okafor": "1"}).mentions

    assert "id" not in mention


def test_a_hashtag_in_a_link_is_not_a_hashtag():
    parsed = parse_text("https://example.com/page#section #real")

    assert [h["tag"] for h in parsed.hashtags] == ["real"]


def test_entities_leave_out_the_kinds_not_present():
    assert parse_text("just words").entities() == {}
    assert set(parse_text("#a @b").entities()) == {"hashtags", "mentions"}


def test_escape_touches_only_ampersand_and_angle_brackets():
    assert escape("""Tom & Jerry <3 "quotes" 'apostrophes' &amp;""") == (
        """Tom &amp; Jerry &lt;3 "quotes" 'apostrophes' &amp;amp;"""
    )


def test_tokens_are_casefolded_words_without_links():
    parsed = parse_text("Hello, WORLD! see https://example.com/word #Tag")

    assert tokens(parsed.text, parsed.urls) == ["hello", "world", "see", "tag"]
