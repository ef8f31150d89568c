"""The hashtag sync following X's rules on content: tags matched the way X matches them,
long posts in full. Through tweepy's real Client against the emulator."""

import pytest

from events.models import Tweet
from events.sync.cycle import run_sync_cycle
from tests.fixtures_sync import wall

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("written", ["#LiſbonTweetup", "#LISBONTWEETUP"])
def test_a_tag_x_matches_case_folded_is_filed_under_the_tweetup(x_search, sync_tweetup, written):
    lisbon = sync_tweetup("LisbonTweetup")
    post = x_search.post(f"Pastéis first, then {written}!")

    run_sync_cycle(now=x_search.cycle_time())

    # X matched it (the emulator, like X, case-folds both sides) and billed it: it is filed.
    assert len(x_search.requests()) == 1
    assert wall(lisbon) == [int(post["id"])]
    assert Tweet.objects.get().entities["hashtags"][0]["tag"] == written[1:]


def test_a_long_post_is_stored_in_full_and_filed_by_a_tag_past_the_cut(
    x_search, sync_tweetup, client
):
    early, late = sync_tweetup("EarlyTweetup"), sync_tweetup("LateTweetup")
    typed = "Notes from #EarlyTweetup: " + "so much to say & more " * 40 + "see you at #LateTweetup"
    assert len(typed) > 900
    post = x_search.post(typed)

    run_sync_cycle(now=x_search.cycle_time())

    (request,) = x_search.requests()
    assert "note_tweet" in request["query"]["tweet.fields"].split(",")
    stored = Tweet.objects.get()
    assert stored.text == typed
    assert [h["tag"] for h in stored.entities["hashtags"]] == ["EarlyTweetup", "LateTweetup"]
    assert wall(early) == wall(late) == [int(post["id"])]
    page = client.get(late.get_absolute_url()).text
    assert "so much to say &amp; more " * 40 in page
    assert 'rel="nofollow noopener noreferrer">#LateTweetup</a>' in page
