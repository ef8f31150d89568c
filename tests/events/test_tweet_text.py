"""A post's text rendered as HTML from X's entities: links in the right places, the
author's text escaped once, and work that grows linearly with the entities."""

import sys
import types

import pytest

from events import tweet_text
from events.tweet_text import tweet_html

LINK = '<a href="{}" rel="nofollow noopener noreferrer">{}</a>'


class LinesRun:
    """Counts the lines run and the jumps taken (each turn of a loop, even within one line)
    in a module's code, with sys.monitoring, and stops the code with an error once there
    are more than `limit`: a quadratic loop fails fast."""

    TOOL = 4  # sys.monitoring tool ids 0, 1, 2 and 5 are named for debuggers, coverage …

    def __init__(self, module: types.ModuleType, limit: int):
        self.module, self.limit, self.count = module, limit, 0

    def _codes(self):
        stack = [
            f.__code__
            for f in vars(self.module).values()
            if isinstance(f, types.FunctionType) and f.__module__ == self.module.__name__
        ]
        while stack:
            code = stack.pop()
            yield code
            stack += [c for c in code.co_consts if isinstance(c, types.CodeType)]

    EVENTS = sys.monitoring.events.LINE | sys.monitoring.events.JUMP

    def _step(self, *args):
        self.count += 1
        if self.count > self.limit:
            raise AssertionError(f"more than {self.limit} steps")

    def __enter__(self):
        monitoring = sys.monitoring
        monitoring.use_tool_id(self.TOOL, "test_tweet_text")
        monitoring.register_callback(self.TOOL, monitoring.events.LINE, self._step)
        monitoring.register_callback(self.TOOL, monitoring.events.JUMP, self._step)
        for code in self._codes():
            monitoring.set_local_events(self.TOOL, code, self.EVENTS)
        return self

    def __exit__(self, *exc):
        monitoring = sys.monitoring
        for code in self._codes():
            monitoring.set_local_events(self.TOOL, code, 0)
        monitoring.register_callback(self.TOOL, monitoring.events.LINE, None)
        monitoring.register_callback(self.TOOL, monitoring.events.JUMP, None)
        monitoring.free_tool_id(self.TOOL)


def entity_heavy_post(length: int):
    """A post of `length` characters that is nearly all hashtags, mentions and URLs, each
    with X's offsets; every tenth hashtag's offset is wrong, as a malformed post's can be."""
    parts, entities, expected, at = [], {"hashtags": [], "mentions": [], "urls": []}, [], 0
    i = 0
    while at < length - 40:
        kind = ("hashtags", "mentions", "urls")[i % 3]
        if kind == "hashtags":
            token = f"#tag{i}"
            start = at if i % 10 else at + 3  # wrong: the renderer must find it
            entities[kind].append({"start": start, "end": start + len(token), "tag": f"tag{i}"})
            expected.append(LINK.format(f"https://x.com/hashtag/tag{i}", token))
        elif kind == "mentions":
            token = f"@user{i}"
            entities[kind].append({"start": at, "end": at + len(token), "username": f"user{i}"})
            expected.append(LINK.format(f"https://x.com/user{i}", token))
        else:
            token = f"https://t.co/{i}"
            entities[kind].append(
                {
                    "start": at,
                    "end": at + len(token),
                    "url": token,
                    "expanded_url": f"https://example.com/{i}",
                    "display_url": f"example.com/{i}",
                }
            )
            expected.append(LINK.format(f"https://example.com/{i}", f"example.com/{i}"))
        parts.append(token + " ")
        at += len(token) + 1
        i += 1
    text = "".join(parts)
    return text + "x" * (length - len(text)), entities, expected


def test_a_25000_character_post_full_of_entities_renders_in_linear_work():
    text, entities, expected = entity_heavy_post(25_000)
    count = sum(len(found) for found in entities.values())
    assert len(text) == 25_000 and count > 2_000

    # Linear: a bounded number of steps per entity and per character. Comparing each
    # entity with every earlier one took millions.
    with LinesRun(tweet_text, limit=10 * (count + len(text))) as run:
        html = str(tweet_html(text, entities))

    assert html == " ".join(expected) + " " + "x" * (25_000 - len(text.rstrip("x")))
    assert run.count > count  # the counter saw the rendering


def test_an_entity_at_a_wrong_offset_is_found_where_it_stands():
    text = "Ask @ada and @ada about #Café"
    html = str(
        tweet_html(
            text,
            {
                "mentions": [{"start": 0, "username": "ada"}, {"start": 99, "username": "ada"}],
                "hashtags": [{"start": "24", "tag": "café"}],
            },
        )
    )
    assert html == (
        f"Ask {LINK.format('https://x.com/ada', '@ada')} and "
        f"{LINK.format('https://x.com/ada', '@ada')} about "
        f"{LINK.format('https://x.com/hashtag/caf%C3%A9', '#Café')}"
    )


@pytest.mark.parametrize("start", [-4, True, None])
def test_an_offset_that_is_not_a_position_is_not_trusted(start):
    # A negative offset would slice from the end: "#end" is there, but only once.
    html = str(tweet_html("#end", {"hashtags": [{"start": start, "tag": "end"}] * 2}))
    assert html == LINK.format("https://x.com/hashtag/end", "#end")


def test_overlapping_entities_keep_the_first_and_the_text_escaped_once():
    text = "<b> #tag&more"
    html = str(
        tweet_html(
            text,
            {
                "hashtags": [{"start": 4, "tag": "tag"}],
                "mentions": [{"start": 5, "username": "tag"}],  # inside the hashtag: wrong
            },
        )
    )
    assert html == f"&lt;b&gt; {LINK.format('https://x.com/hashtag/tag', '#tag')}&amp;more"
