"""The recent-search query language: what parses, what X refuses and in which words, and
what matches. The search tests check the same through HTTP; these pin the grammar down."""

from dataclasses import dataclass, field

import pytest

from xemulator.query import Lookup, QueryError, compile_query, parse, required_hashtags
from xemulator.text import parse_text, tokens


@dataclass
class Post:
    text: str
    author_id: str = "1"
    lang: str = "en"
    is_retweet: bool = False
    hashtag_set: frozenset = field(init=False)
    mention_set: frozenset = field(init=False)
    has_links: bool = field(init=False)

    def __post_init__(self):
        parsed = parse_text(self.text)
        self.hashtag_set = frozenset(h["tag"].casefold() for h in parsed.hashtags)
        self.mention_set = frozenset(m["username"].casefold() for m in parsed.mentions)
        self.has_links = bool(parsed.urls)
        self._tokens = tokens(parsed.text, parsed.urls)

    def token_list(self):
        return self._tokens


LOOKUP = Lookup(user_ids={"maya_okafor": "1", "jonasweber": "2"}.get, verified_ids=frozenset("1"))


def matches(query: str, post: Post) -> bool:
    return compile_query(parse(query), LOOKUP)(post)


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("#BerlinTweetup", "See you at #berlintweetup!", True),
        ("#berlintweetup", "See you at #BERLINTWEETUP", True),
        ("#BerlinTweetup", "See you at #BerlinTweetups", False),
        ("#BerlinTweetup", "See you at BerlinTweetup", False),
        ("#Berlin", "See you at #BerlinTweetup", False),
        ("#a #b", "#a and #b", True),
        ("#a #b", "#a only", False),
        ("#a OR #b", "#b only", True),
        ("#a -#b", "#a and #b", False),
        ("#a -#b", "#a alone", True),
        ("#a OR #b #c", "#a alone", True),  # AND binds tighter: #a OR (#b #c)
        ("(#a OR #b) #c", "#a alone", False),
        ("(#a OR #b) #c", "#a with #c", True),
        ("-(#x OR #y) #a", "#a and #y", False),
        ("tweetup #a", "A TWEETUP tonight #a", True),
        ("tweetup #a", "tweetups tonight #a", False),
        ('"see you" #a', "Hope to see you there #a", True),
        ('"see you" #a', "you see #a", False),
        ("@jonasweber #a", "Ask @JonasWeber #a", True),
        ("from:maya_okafor #a", "#a", True),
        ("from:jonasweber #a", "#a", False),
        ("#a lang:de", "#a", False),
        ("#a is:verified", "#a", True),
        ("#a has:links", "#a https://example.com", True),
        ("#a has:mentions", "#a", False),
        ("#a is:reply", "#a", False),
    ],
)
def test_matching(query, text, expected):
    assert matches(query, Post(text)) is expected


def test_is_retweet_and_its_negation():
    original = Post("#a hello")
    retweet = Post("RT @maya_okafor: #a hello", is_retweet=True)

    assert [matches("#a -is:retweet", p) for p in (original, retweet)] == [True, False]
    assert [matches("#a is:retweet", p) for p in (original, retweet)] == [False, True]


def problems(query: str) -> list[str]:
    with pytest.raises(QueryError) as refused:
        parse(query)
    message = str(refused.value)
    assert message.startswith("There were errors processing your request: ")
    return refused.value.problems


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("(#a OR #b", ["Missing closing parenthesis (at position 1)"]),
        ("#a)", ["missing EOF at ')' (at position 3)"]),
        ("()", ["no viable alternative at input ')' (at position 2)"]),
        ("#a OR", ["no viable alternative at input '<EOF>' (at position 6)"]),
        ("OR #a", ["no viable alternative at input 'OR' (at position 1)"]),
        ("#a - #b", ["no viable alternative at input '-' (at position 4)"]),
        ("#a 'b'", ["no viable alternative at character ''' (at position 4)",
                    "no viable alternative at character ''' (at position 6)"]),
        ('#a "open', ["no viable alternative at character '\"' (at position 4)"]),
        ("#", ["no viable alternative at input '#' (at position 1)"]),
        (
            "-#a",
            [
                "Rules must contain a non-negation term (at position 1)",
                "Rules must contain at least one positive, non-stopword clause (at position 1)",
            ],
        ),
        ("is:retweet", ["is/has/lang cannot be used as a standalone operator (at position 1)"]),
        ("lang:en -#a", ["is/has/lang cannot be used as a standalone operator (at position 1)"]),
        ("the", ["Rules must contain at least one positive, non-stopword clause (at position 1)"]),
        ("#a is:polls", ["Reference to invalid operator 'is:polls'. (at position 4)"]),
    ],
)  # fmt: skip
def test_refused_queries_get_xs_words_and_positions(query, expected):
    assert problems(query) == expected


def test_lowercase_or_is_ambiguous():
    (problem,) = problems("#a or #b")

    assert problem.startswith("Ambiguous use of or as a keyword. Use a capitalized OR")
    assert problem.endswith("(at position 4)")


def test_an_unknown_operator_is_refused():
    (problem,) = problems("#a filter:replies")

    assert problem.startswith("Reference to invalid operator 'filter'. Operator is not available")


@pytest.mark.parametrize(
    "query",
    [
        "(#ATXtweetup OR #BerlinTweetup) -is:retweet",
        "#a -is:retweet lang:en",
        "tweetup the",
        '"the end" #a',
        "e-mail #a",
    ],
)
def test_well_formed_queries_parse(query):
    parse(query)


@pytest.mark.parametrize(
    ("query", "hashtags"),
    [
        ("(#A OR #b) -is:retweet", {"a", "b"}),
        ("#a #b", {"a"}),
        ("#a OR tweetup", None),
        ("-#a tweetup", None),
        ("(#a OR #b) (#c OR #d OR #e)", {"a", "b"}),
    ],
)
def test_required_hashtags_let_the_index_skip_other_posts(query, hashtags):
    found = required_hashtags(parse(query))

    assert (set(found) if found is not None else None) == hashtags
