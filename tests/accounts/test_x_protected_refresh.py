"""A person's "protected on X" goes stale between sign-ins: the wall's compliance check and
a follows read, which hear it from X, copy it onto the people here with those X ids, in one
UPDATE a batch, and the pages of a tweetup they're going to stop showing them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.network import Outcome, follows_refresh
from accounts.services import users_x_protected_update
from events.models import Rsvp
from events.sync.compliance import compliance_check
from events.sync.cycle import run_sync_cycle
from tests.factories import TweetupFactory, UserFactory
from tests.pages import signed_in
from tests.xemulator.conftest import MAYA

pytestmark = pytest.mark.django_db

JONAS, KENJI = "1460000000000000002", "1460000000000000006"  # demo accounts Maya follows


def protected(*users: User) -> list[bool]:
    return [User.objects.get(pk=u.pk).x_protected for u in users]


def user_updates(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith('UPDATE "accounts_user"')]


def test_the_compliance_check_marks_a_person_whose_posts_went_protected(
    x_search, sync_tweetup, client, django_capture_on_commit_callbacks
):
    sync_tweetup("BerlinTweetup")
    tweetup = TweetupFactory(starts_at=timezone.now() + timedelta(days=3))  # no wall posts
    post = x_search.post("See you there #BerlinTweetup", username="bob")
    x_search.post("Me too #BerlinTweetup", username="alice")
    bob = UserFactory(x_id=post["author_id"], x_username="bob_here", x_protected=False)
    alice_id = x_search.control.users()[0]["id"]
    other = UserFactory(x_id=alice_id if alice_id != bob.x_id else "7", x_protected=False)
    Rsvp.objects.create(tweetup=tweetup, user=bob, status=Rsvp.Status.GOING)
    run_sync_cycle(now=x_search.cycle_time())
    viewer = signed_in(UserFactory())
    assert "@bob_here" in client.get(tweetup.get_absolute_url()).text  # cached for visitors
    assert "@bob_here" in viewer.get(tweetup.get_absolute_url()).text  # the people listed too

    x_search.control.update_user(post["author_id"], protected=True)
    with django_capture_on_commit_callbacks(execute=True):  # the page cache forgets then
        report = compliance_check()

    assert report.protected == 1
    assert protected(bob, other) == [True, False]
    assert "@bob_here" not in client.get(tweetup.get_absolute_url()).text
    assert "@bob_here" not in viewer.get(tweetup.get_absolute_url()).text


def test_a_follows_read_updates_the_people_it_sees_both_ways(maya, x_emulator_settings):
    # Kenji went protected since he signed in; Jonas made his account public again.
    kenji = UserFactory(x_id=KENJI, x_protected=False)
    jonas = UserFactory(x_id=JONAS, x_protected=True)
    stranger = UserFactory(x_id="99", x_protected=True)  # not followed: X said nothing

    with CaptureQueriesContext(connection) as queries:
        assert follows_refresh(user=maya).outcome == Outcome.DONE

    assert protected(kenji, jonas, stranger) == [True, False, True]
    assert len(user_updates(queries.captured_queries)) == 1  # the one page, one UPDATE

    x_emulator_settings.control.update_user(KENJI, protected=False)
    follows_refresh(user=maya, force=True)
    assert protected(kenji) == [False]


def test_a_follows_read_that_changes_nobody_updates_nothing(maya, x_emulator_settings, settings):
    settings.NETWORK_MAX_FOLLOWS_READ = 3000
    UserFactory(x_id=KENJI, x_protected=True)
    x_emulator_settings.control.set_following(MAYA, [KENJI], generate=2500)

    with CaptureQueriesContext(connection) as queries:
        assert follows_refresh(user=maya).outcome == Outcome.DONE

    assert user_updates(queries.captured_queries) == []


@pytest.mark.parametrize("size", [1, 40])
def test_one_select_when_nothing_changes_and_a_fixed_number_when_some_do(
    db, size, django_assert_num_queries, django_assert_max_num_queries
):
    people = [UserFactory(x_id=str(1000 + n), x_protected=False) for n in range(size)]
    for person in people:
        Rsvp.objects.create(
            tweetup=TweetupFactory(starts_at=timezone.now() + timedelta(days=2)),
            user=person,
            status=Rsvp.Status.GOING,
        )
    ids = [p.x_id for p in people] + [str(5000 + n) for n in range(1000)]

    with django_assert_num_queries(1):
        assert users_x_protected_update(protected=[], public=ids) == 0
    with django_assert_max_num_queries(5):
        assert users_x_protected_update(protected=ids) == size

    assert all(protected(*people))


def test_an_id_said_both_counts_as_protected_and_nothing_said_asks_nothing(
    db, django_assert_num_queries
):
    person = UserFactory(x_id="123", x_protected=False)

    with django_assert_num_queries(0):
        assert users_x_protected_update(protected=[], public=[]) == 0
    users_x_protected_update(protected=["123"], public=["123"])

    assert protected(person) == [True]
