"""The hashtag sync following X's rules on content: tags matched the way X matches them,
long posts in full, a renamed hashtag's old posts off the wall. Through tweepy's real Client
against the emulator."""

from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone

from events.models import Tweet, XAuthor
from events.services import TweetupDetails, tweetup_update
from events.sync.cycle import run_sync_cycle
from events.sync.parsing import parse_page
from events.sync.storing import store_page
from tests.fixtures_sync import state, wall

upgrade_pictures = import_module("events.migrations.0010_https_x_author_pictures").upgrade_pictures

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


def rename(tweetup, hashtag: str):
    fields = {
        name: getattr(tweetup, name)
        for name in TweetupDetails.__dataclass_fields__
        if name != "topics"  # left as they are
    }
    details = TweetupDetails(**fields | {"hashtag": hashtag})
    return tweetup_update(tweetup=tweetup, actor=tweetup.organizer, details=details)


def test_a_renamed_hashtag_takes_the_posts_with_only_the_old_tag_off_the_wall(
    x_search, sync_tweetup, client
):
    tweetup = sync_tweetup("DosPlain")
    old_only = int(x_search.post("Tacos at #DosPlain")["id"])
    both = int(x_search.post("#DosPlain is now #dosplainRENAMED")["id"])
    run_sync_cycle(now=x_search.cycle_time())
    assert wall(tweetup) == [both, old_only]
    new_only = int(x_search.post("See you at #DosPlainRenamed")["id"])

    rename(tweetup, "DosPlainRenamed")

    assert wall(tweetup) == [both]  # at once, before any read
    assert "Tacos at" not in client.get(tweetup.get_absolute_url()).text
    run_sync_cycle(now=x_search.cycle_time(after_seconds=120))
    assert wall(tweetup) == [new_only, both]
    assert Tweet.objects.filter(x_id=old_only).exists()  # stored still, just not on this wall


def test_a_read_of_the_old_tag_in_flight_during_the_rename_is_undone_by_the_next_cycle(
    x_search, sync_tweetup
):
    tweetup = sync_tweetup("DosPlain")
    run_sync_cycle(now=x_search.cycle_time())
    old_only = int(x_search.post("Tacos at #DosPlain")["id"])
    rename(tweetup, "DosPlainRenamed")
    # A read of #DosPlain that began before the rename stores its page after it.
    tweetup.hashtag = "DosPlain"
    store_page(
        parse_page(
            {"data": x_search.control.tweets(), "includes": {"users": x_search.control.users()}}
        ),
        [(tweetup, state(tweetup))],
        done=True,
        target_id=None,
        now=timezone.now(),
    )
    assert wall(tweetup) == [old_only]

    run_sync_cycle(now=x_search.cycle_time(after_seconds=120))

    assert wall(tweetup) == []
    assert state(tweetup).hashtag == "DosPlainRenamed"


def test_authors_pictures_are_kept_as_https_and_shown_over_their_initials(
    x_search, sync_tweetup, client
):
    tweetup = sync_tweetup("ATXtweetup")
    pictures = {
        "pat_http": "http://pbs.twimg.com/profile_images/7/pat_normal.jpg",
        "sam_script": "javascript:alert(1)",
        "nora_none": "",
    }
    for username, url in pictures.items():
        x_search.control.add_user(username, name=username.title(), profile_image_url=url)
        x_search.post(f"Hi from {username} #ATXtweetup", username=username)

    run_sync_cycle(now=x_search.cycle_time())

    stored = dict(XAuthor.objects.values_list("username", "profile_image_url"))
    assert stored == {
        "pat_http": "https://pbs.twimg.com/profile_images/7/pat_normal.jpg",
        "sam_script": "",
        "nora_none": "",
    }
    page = client.get(tweetup.get_absolute_url()).text
    assert (
        '<span class="initials">Pa</span><img class="avatar" '
        'src="https://pbs.twimg.com/profile_images/7/pat_normal.jpg"'
    ) in page
    assert '<span class="initials">Sa</span></span>' in page  # no picture: the initials
    assert "javascript:" not in page


def test_the_migration_upgrades_stored_http_author_pictures():
    now = timezone.now()
    urls = {
        1: "http://pbs.twimg.com/profile_images/1/a_normal.jpg",
        2: "HTTP://pbs.twimg.com/profile_images/2/b_normal.jpg",
        3: "https://pbs.twimg.com/profile_images/3/c_normal.jpg",
        4: "http://pbs.twimg.com/" + "a" * 479,
        5: "",
    }
    for x_id, url in urls.items():
        XAuthor.objects.create(
            x_id=x_id, username=f"a{x_id}", name="A", profile_image_url=url, updated_at=now
        )

    upgrade_pictures(apps, None)

    assert dict(XAuthor.objects.values_list("x_id", "profile_image_url")) == {
        1: "https://pbs.twimg.com/profile_images/1/a_normal.jpg",
        2: "https://pbs.twimg.com/profile_images/2/b_normal.jpg",
        3: "https://pbs.twimg.com/profile_images/3/c_normal.jpg",
        4: "",
        5: "",
    }
