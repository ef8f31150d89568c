"""Topics: organizers pick one to three; each topic has a page; admins keep the list."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.forms import TweetupForm
from events.models import Topic, Tweetup
from events.services import tweetup_create, tweetup_update
from tests.events.test_tweetup_services import details, details_of
from tests.factories import TopicFactory, TweetupFactory, UserFactory
from tests.pages import YEAR, form_data

pytestmark = pytest.mark.django_db


def topic(slug: str) -> Topic:
    """One of the seeded topics (made again if a transactional test emptied the table)."""
    return TopicFactory(slug=slug, name=slug.title())


def test_a_curated_list_comes_with_the_site():
    slugs = set(Topic.objects.values_list("slug", flat=True))
    assert {"tech", "startups", "design", "books", "running", "gaming", "music"} <= slugs
    assert {"photography", "food-and-drink", "art"} <= slugs and len(slugs) == 12


@pytest.mark.parametrize(
    ("picked", "error"),
    [
        ([], "Pick at least one topic"),
        (["tech", "books", "music", "art"], "Pick at most 3 topics"),
        (["no-such-id"], "Select a valid choice"),
    ],
)
def test_the_form_wants_one_to_three_topics(client, user, berlin, picked, error):
    ids = [topic(s).pk if s != "no-such-id" else "999999" for s in picked]
    client.force_login(user)
    response = client.post(reverse("events:tweetup_new"), form_data(berlin, topics=ids))
    assert response.status_code == 200
    assert error in response.text
    assert not Tweetup.objects.exists()


def test_organizing_with_topics_and_editing_them(client, user, berlin):
    tech, books, music = (topic(s) for s in ("tech", "books", "music"))
    client.force_login(user)
    form = client.get(reverse("events:tweetup_new")).text
    assert 'type="checkbox" name="topics"' in form and "<legend>Topics</legend>" in form
    response = client.post(reverse("events:tweetup_new"), form_data(berlin, topics=[tech.pk]))
    tweetup = Tweetup.objects.get()
    assert response.status_code == 302 and list(tweetup.topics.all()) == [tech]
    edit = reverse("events:tweetup_edit", args=[tweetup.slug])
    assert TweetupForm(instance=tweetup).initial["topics"] == [tech]
    assert re.search(rf'value="{tech.pk}"[^>]* checked', client.get(edit).text)
    data = form_data(berlin, topics=[books.pk, music.pk], starts_at=f"{YEAR}-04-02T20:00")
    assert client.post(edit, data).status_code == 302
    assert set(tweetup.topics.all()) == {books, music}
    page = client.get(tweetup.get_absolute_url()).text
    assert f'href="{books.get_absolute_url()}"' in page


def test_the_services_take_any_list_and_an_edit_without_one_keeps_them(user, berlin):
    tech = topic("tech")
    bare = tweetup_create(organizer=user, details=details(berlin))
    assert not bare.topics.exists()  # the form asks for topics; the service doesn't
    tagged = tweetup_create(
        organizer=user,
        details=details(berlin, hashtag="Other", topics=[tech]),
    )
    tweetup_update(tweetup=tagged, actor=user, details=details_of(tagged, title="New"))
    assert list(tagged.topics.all()) == [tech]
    tweetup_update(tweetup=tagged, actor=user, details=details_of(tagged, topics=[]))
    assert not tagged.topics.exists()


def test_a_topic_page_lists_its_upcoming_tweetups(client, berlin):
    tech, books = topic("tech"), topic("books")
    now = timezone.now()
    TweetupFactory(city=berlin, title="Tech soon").topics.add(tech)
    TweetupFactory(city=berlin, title="Books soon").topics.add(books)
    TweetupFactory(city=berlin, title="Tech cancelled", status="cancelled").topics.add(tech)
    TweetupFactory(
        city=berlin,
        title="Tech past",
        starts_at=now - timedelta(days=3),
        ends_at=now - timedelta(days=3) + timedelta(hours=2),
    ).topics.add(tech)
    response = client.get(tech.get_absolute_url())
    assert response.status_code == 200
    assert [t.title for t in response.context["page"].object_list] == ["Tech soon"]
    assert "<h1>Tech tweetups</h1>" in response.text
    assert client.get(reverse("events:topic", args=["nope"])).status_code == 404
    index = client.get(reverse("events:topics"))
    assert f'href="{tech.get_absolute_url()}"' in index.text
    topic("music")
    counts = {t.slug: t.upcoming_count for t in index.context["topics"]}
    assert counts["tech"] == 1 and counts["books"] == 1


def test_a_new_tweetup_shows_on_its_topic_page_at_once(berlin, django_capture_on_commit_callbacks):
    tech = topic("tech")
    visitor = Client()
    assert visitor.get(tech.get_absolute_url())["X-Cache"] == "miss"
    assert visitor.get(tech.get_absolute_url())["X-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        tweetup_create(
            organizer=UserFactory(), details=details(berlin, title="Fresh", topics=[tech])
        )
    page = visitor.get(tech.get_absolute_url())
    assert page["X-Cache"] == "miss" and "Fresh" in page.text


def test_admins_edit_topics(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    add = reverse("admin:events_topic_add")
    data = {"name": "Climbing", "slug": "climbing", "description": "Bouldering and walls."}
    assert client.post(add, data).status_code == 302
    assert TopicFactory(name="Climbing").description == "Bouldering and walls."
