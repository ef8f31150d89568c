"""The recent-search query language, the part of it the emulator understands.

    (#ATXtweetup OR #BerlinTweetup) -is:retweet

Terms: `#hashtag` (exact, case-insensitive, against the post's hashtag entities), `@handle`,
keywords and "quoted phrases" (tokenized, case-insensitive), `from:`, `to:`, `lang:`,
`is:retweet|reply|quote|verified|nullcast` and `has:links|mentions|hashtags|media|...`.
A space is AND, `OR` (capitals) is OR and binds looser, parentheses group, `-` negates.
Mistakes get X's wording: "There were errors processing your request: ... (at position N)".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from xemulator.text import tokens

ERROR_PREFIX = "There were errors processing your request: "
OPERATORS_URL = (
    "https://developer.twitter.com/en/docs/twitter-api/tweets/search/integrate/build-a-query#list"
)
# is:, has: and lang: narrow a query down; they cannot be one on their own.
CONJUNCTION_REQUIRED = {
    "is": {"retweet", "reply", "quote", "verified", "nullcast"},
    "has": {"links", "mentions", "hashtags", "media", "images", "videos", "geo", "cashtags"},
    "lang": None,
}
STANDALONE_OPERATORS = {"from", "to"}
# The English stop words X refuses as a query's only positive clause (Lucene's list).
STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their "  # noqa: SIM905
    "then there these they this to was will with".split()
)


class QueryError(ValueError):
    """A query X refuses; str() is the whole message X sends."""

    def __init__(self, problems: list[str]):
        super().__init__(ERROR_PREFIX + ", ".join(problems))
        self.problems = problems


class SearchablePost(Protocol):
    """What a query looks at; `xemulator.tweets.Tweet` provides it."""

    hashtag_set: frozenset[str]
    mention_set: frozenset[str]
    author_id: str
    lang: str
    is_retweet: bool
    has_links: bool

    def token_list(self) -> list[str]: ...


@dataclass(frozen=True)
class Lookup:
    """What a query needs to know about accounts when it is compiled."""

    user_ids: Callable[[str], str | None]  # handle -> id
    verified_ids: frozenset[str] = frozenset()


# --- syntax tree --------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    kind: str  # hashtag, mention, keyword, phrase, operator
    value: str | tuple[str, ...]
    position: int
    operator: str = ""

    @property
    def conjunction_required(self) -> bool:
        return self.kind == "operator" and self.operator in CONJUNCTION_REQUIRED

    @property
    def stopword(self) -> bool:
        return self.kind == "keyword" and self.value in STOPWORDS


@dataclass(frozen=True)
class Not:
    child: Term | Not | And | Or
    position: int


@dataclass(frozen=True)
class And:
    children: tuple


@dataclass(frozen=True)
class Or:
    children: tuple


Node = Term | Not | And | Or


# --- tokenizer ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # ( ) OR - word phrase
    text: str
    position: int  # 1-based, as X reports it


def _tokenize(query: str) -> tuple[list[_Token], list[str]]:
    tokens: list[_Token] = []
    problems: list[str] = []
    index = 0
    while index < len(query):
        char = query[index]
        position = index + 1
        if char.isspace():
            index += 1
        elif char in "()":
            tokens.append(_Token(char, char, position))
            index += 1
        elif char == "-":
            tokens.append(_Token("-", "-", position))
            index += 1
        elif char == '"':
            end = query.find('"', index + 1)
            if end == -1:
                problems.append(f"no viable alternative at character '\"' (at position {position})")
                break
            tokens.append(_Token("phrase", query[index + 1 : end], position))
            index = end + 1
        elif char in "'[]{}":
            problems.append(f"no viable alternative at character '{char}' (at position {position})")
            index += 1
        else:
            end = index
            while end < len(query) and not query[end].isspace() and query[end] not in "()\"'[]{}":
                end += 1
            word = query[index:end]
            tokens.append(_Token("OR" if word == "OR" else "word", word, position))
            index = end
    return tokens, problems


# --- parser -------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[_Token], length: int):
        self.tokens = tokens
        self.index = 0
        self.end_position = length + 1
        self.problems: list[str] = []

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def fail(self, message: str, position: int) -> QueryError:
        return QueryError([*self.problems, f"{message} (at position {position})"])

    def parse(self) -> Node:
        node = self.or_expression()
        token = self.peek()
        if token is not None:
            raise self.fail(f"missing EOF at '{token.text}'", token.position)
        return node

    def or_expression(self) -> Node:
        children = [self.and_expression()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.index += 1
            children.append(self.and_expression())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expression(self) -> Node:
        children = []
        while (token := self.peek()) is not None and token.kind not in ("OR", ")"):
            children.append(self.unary())
        if not children:
            token = self.peek()
            text = token.text if token else "<EOF>"
            position = token.position if token else self.end_position
            raise self.fail(f"no viable alternative at input '{text}'", position)
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "-":
            self.index += 1
            following = self.peek()
            # The minus must touch what it negates: "- #a" is not "-#a".
            if (
                following is None
                or following.kind in ("OR", ")", "-")
                or (following.position != token.position + 1)
            ):
                raise self.fail("no viable alternative at input '-'", token.position)
            return Not(self.atom(), token.position)
        return self.atom()

    def atom(self) -> Node:
        token = self.peek()
        self.index += 1
        if token.kind == "(":
            inner = self.or_expression()
            closing = self.peek()
            if closing is None or closing.kind != ")":
                raise self.fail("Missing closing parenthesis", token.position)
            self.index += 1
            return inner
        if token.kind == "phrase":
            words = tuple(_split_words(token.text))
            if not words:
                raise self.fail("no viable alternative at input '\"\"'", token.position)
            return Term("phrase", words, token.position)
        return self.term(token)

    def term(self, token: _Token) -> Term:
        word, position = token.text, token.position
        if word[0] in "#＃":
            if len(word) == 1:
                raise self.fail("no viable alternative at input '#'", position)
            return Term("hashtag", word[1:].casefold(), position)
        if word[0] in "@＠" and len(word) > 1:
            return Term("mention", word[1:].casefold(), position)
        operator, colon, value = word.partition(":")
        if colon and operator.isidentifier() and not value.startswith("//"):
            return self.operator(operator.lower(), value, word, position)
        if word.lower() in ("and", "or") and word not in ("AND",):
            joiner = "a capitalized OR" if word.lower() == "or" else "a space"
            self.problems.append(
                f"Ambiguous use of {word.lower()} as a keyword. Use {joiner} to logically join "
                f'two clauses, or "{word.lower()}" to find occurrences of {word.lower()} in text '
                f"(at position {position})"
            )
        words = _split_words(word)
        if len(words) == 1:
            return Term("keyword", words[0], position)
        # "e-mail" or "tweetup!" is matched the way X tokenizes it: as the words in order.
        return Term("phrase", tuple(words) or (word.casefold(),), position)

    def operator(self, operator: str, value: str, word: str, position: int) -> Term:
        if operator in STANDALONE_OPERATORS or operator == "lang":
            if not value:
                raise self.fail(f"no viable alternative at input '{word}'", position)
            return Term("operator", value.lstrip("@").casefold(), position, operator)
        if operator not in CONJUNCTION_REQUIRED:
            self.problems.append(
                f"Reference to invalid operator '{operator}'. Operator is not available in "
                f"current product or product packaging. Please refer to complete available "
                f"operator list at {OPERATORS_URL}. (at position {position})"
            )
            return Term("keyword", word.casefold(), position)
        if value.lower() not in CONJUNCTION_REQUIRED[operator]:
            self.problems.append(
                f"Reference to invalid operator '{word}'. (at position {position})"
            )
        return Term("operator", value.lower(), position, operator)


def _split_words(text: str) -> list[str]:
    return tokens(text, [])


# --- checks X makes on a well-formed query ---------------------------------------------------


def _terms(node: Node, negated: bool = False):
    match node:
        case Term():
            yield node, negated
        case Not(child=child):
            yield from _terms(child, not negated)
        case And(children=children) | Or(children=children):
            for child in children:
                yield from _terms(child, negated)


def _has_positive_clause(node: Node) -> bool:
    """Whether every way the query can match needs a positive, standalone, non-stop word."""
    match node:
        case Term():
            return not node.conjunction_required and not node.stopword
        case Not():
            return False
        case And(children=children):
            return any(_has_positive_clause(child) for child in children)
        case Or(children=children):
            return all(_has_positive_clause(child) for child in children)
    return False


def _clause_problems(node: Node) -> list[str]:
    terms = list(_terms(node))
    if _has_positive_clause(node):
        return []
    if all(negated for _, negated in terms):
        return [
            "Rules must contain a non-negation term (at position 1)",
            "Rules must contain at least one positive, non-stopword clause (at position 1)",
        ]
    if any(term.conjunction_required and not negated for term, negated in terms):
        return ["is/has/lang cannot be used as a standalone operator (at position 1)"]
    return ["Rules must contain at least one positive, non-stopword clause (at position 1)"]


def parse(query: str) -> Node:
    """The query's syntax tree; raises QueryError with X's message if X would refuse it."""
    tokens, problems = _tokenize(query)
    if problems:
        raise QueryError(problems)
    parser = _Parser(tokens, len(query))
    node = parser.parse()
    problems = parser.problems + _clause_problems(node)
    if problems:
        raise QueryError(problems)
    return node


# --- matching -----------------------------------------------------------------------------


Predicate = Callable[[SearchablePost], bool]


def _phrase_in(words: tuple[str, ...], post: SearchablePost) -> bool:
    found = post.token_list()
    size = len(words)
    return any(tuple(found[i : i + size]) == words for i in range(len(found) - size + 1))


def _term_predicate(term: Term, lookup: Lookup) -> Predicate:
    value = term.value
    match term.kind, term.operator, value:
        case "hashtag", _, _:
            return lambda post: value in post.hashtag_set
        case "mention", _, _:
            return lambda post: value in post.mention_set
        case "keyword", _, _:
            return lambda post: value in post.token_list()
        case "phrase", _, _:
            return lambda post: _phrase_in(value, post)
        case "operator", "from", _:
            author = lookup.user_ids(value)
            return lambda post: post.author_id == author
        case "operator", "lang", _:
            return lambda post: post.lang == value
        case "operator", "is", "retweet":
            return lambda post: post.is_retweet
        case "operator", "is", "verified":
            verified = lookup.verified_ids
            return lambda post: post.author_id in verified
        case "operator", "has", "links":
            return lambda post: post.has_links
        case "operator", "has", "mentions":
            return lambda post: bool(post.mention_set)
        case "operator", "has", "hashtags":
            return lambda post: bool(post.hashtag_set)
    # Replies, quotes, media, places, cashtags: the emulator's posts have none.
    return lambda post: False


def compile_query(node: Node, lookup: Lookup) -> Predicate:
    """A function telling whether a post matches the query."""
    match node:
        case Term():
            return _term_predicate(node, lookup)
        case Not(child=child):
            inner = compile_query(child, lookup)
            return lambda post: not inner(post)
        case And(children=children):
            parts = [compile_query(child, lookup) for child in children]
            return lambda post: all(part(post) for part in parts)
        case Or(children=children):
            parts = [compile_query(child, lookup) for child in children]
            return lambda post: any(part(post) for part in parts)
    raise TypeError(node)


def required_hashtags(node: Node) -> frozenset[str] | None:
    """Hashtags one of which every match carries (an index can then skip the rest); None when
    a match may carry none."""
    match node:
        case Term(kind="hashtag", value=tag):
            return frozenset([tag])
        case And(children=children):
            options = [t for child in children if (t := required_hashtags(child)) is not None]
            return min(options, key=len) if options else None
        case Or(children=children):
            options = [required_hashtags(child) for child in children]
            if any(option is None for option in options):
                return None
            return frozenset().union(*options)
    return None
