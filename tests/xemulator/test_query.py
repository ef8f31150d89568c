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


# --- the candidate-finding job's queries: bare keywords and "quoted phrases" ---------------

CANDIDATES = '(tweetup OR meetup OR "who\'s around") (Lisbon OR #LisbonTweetup) -is:retweet'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tweetup in Lisbon on Friday, who's in?", True),
        ("MEETUP lisbon, Saturday at 7", True),
        ("Who's around Lisbon this weekend?", True),
        ("Who’s around? #LisbonTweetup", True),  # a typographic apostrophe too
        ("WHO'S AROUND in LISBON", True),
        ("#tweetup in Lisbon", True),  # a keyword matches the word a hashtag is made of
        ("Lisbon tweetup!", True),
        ("Tweetup in Porto on Friday", False),
        ("Lisbon is lovely in spring", False),
        ("meetups in Lisbon", False),  # a keyword is a whole word
        ("Around who's Lisbon", False),  # a phrase keeps its order
        ("who is around in Lisbon", False),
        ("tweetup at #LisbonTweetups", False),  # a hashtag is exact
        ("LisbonTweetup tonight, a meetup", False),  # without # it is a word, not the tag
    ],
)
def test_the_candidate_query_matches_words_and_phrases_in_any_case(text, expected):
    assert matches(CANDIDATES, Post(text)) is expected


def test_the_candidate_query_leaves_retweets_out():
    retweet = Post("RT @maya_okafor: tweetup in Lisbon", is_retweet=True)

    assert matches(CANDIDATES, retweet) is False


def test_the_candidate_query_parses_into_keywords_a_phrase_and_a_hashtag():
    from xemulator.query import And, Not, Or

    node = parse(CANDIDATES)

    assert isinstance(node, And)
    talk, place, retweets = node.children
    assert isinstance(talk, Or) and isinstance(place, Or) and isinstance(retweets, Not)
    assert [(t.kind, t.value) for t in talk.children] == [
        ("keyword", "tweetup"),
        ("keyword", "meetup"),
        ("phrase", ("who", "s", "around")),
    ]
    assert [(t.kind, t.value) for t in place.children] == [
        ("keyword", "lisbon"),
        ("hashtag", "lisbontweetup"),
    ]
    assert required_hashtags(node) is None  # a bare word can match: the index cannot help


def test_the_candidate_query_through_recent_search(x_emulator, x_search, assert_matches_x_openapi):
    control = x_emulator.control
    found = [
        control.post_tweet("maya_okafor", "Tweetup in Lisbon on Friday? Who's in"),
        control.post_tweet("jonasweber", "who's around #LisbonTweetup tonight"),
    ]
    control.post_tweet("priya_codes", "Meetup in Porto, anyone?")
    control.post_tweet("samcarter", "RT @maya_okafor: Tweetup in Lisbon", is_retweet=True)

    response = x_search(CANDIDATES, max_results=100)

    assert response.status_code == 200
    assert [t["id"] for t in response.json()["data"]] == [t["id"] for t in reversed(found)]
    assert_matches_x_openapi(response)
