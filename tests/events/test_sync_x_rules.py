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
