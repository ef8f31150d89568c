"""Drafts found in posts, as people see them: only their author is shown one, and only their
author may publish or dismiss it (events/views/drafts.py, events/views/organizing.py)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.found.drafts import Candidate, drafts_store
from events.models import Tweetup, TweetupDraft
from tests.factories import CityFactory, TopicFactory, UserFactory
from tests.pages import signed_in

pytestmark = pytest.mark.django_db
LEAD = "Looks like you're planning a tweetup in"
Status = TweetupDraft.Status


@pytest.fixture
def lisbon(db):
    return CityFactory(name="Lisbon", country="Portugal", timezone="Europe/Lisbon")


@pytest.fixture
def author(db):
    return UserFactory(x_id="7000001", x_username="ana")


def local_today(city):
    return timezone.now().astimezone(city.tzinfo).date()


def make_draft(city, author_x_id="7000001", *, days=3, text="Lisbon tweetup?", **fields):
    return TweetupDraft.objects.create(
        author_x_id=author_x_id,
        author_username=fields.pop("username", "ana"),
        city=city,
        date=local_today(city) + timedelta(days=days),
        hashtag=fields.pop("hashtag", "LisbonTweetup"),
        post_x_id=fields.pop("post_x_id", 1900000000000000000 + days),
        post_text=text,
        **fields,
    )


def form_data(city, **overrides):
    day = local_today(city) + timedelta(days=3)
    return {
        "title": "Lisbon tweetup",
        "city": city.pk,
        "starts_at": f"{day}T19:00",
        "ends_at": f"{day}T22:00",
        "venue_name": "Pensão Amor",
        "hashtag": "LisbonTweetup",
        "topics": [TopicFactory(name="Tech").pk],
        **overrides,
    }


# --- Who sees the suggestion ------------------------------------------------------------


@pytest.mark.parametrize("page", ["/", "/new/"])
def test_the_prompt_shows_only_to_its_author(page, lisbon, author, client):
    draft = make_draft(lisbon, days=1, text="Tweetup <b>Lisbon</b> tomorrow & all")
    someone = UserFactory(x_id="7000002")

    mine = signed_in(author).get(page).content.decode()
    theirs = signed_in(someone).get(page).content.decode()

    assert f"{LEAD} <strong>Lisbon</strong> tomorrow — publish it here." in mine
    assert f'href="/new/?draft={draft.pk}"' in mine
    assert "Tweetup &lt;b&gt;Lisbon&lt;/b&gt; tomorrow &amp; all" in mine  # X's text escaped
    assert "planning a tweetup" not in theirs
    if page == "/":
        assert "planning a tweetup" not in client.get(page).content.decode()  # a visitor
        # The same frame served to the author again (a frame hit) still has theirs only.
        assert LEAD in signed_in(author).get(page).content.decode()


def test_decided_and_past_suggestions_are_not_shown(lisbon, author):
    make_draft(lisbon, days=-1)
    make_draft(lisbon, days=2, status=Status.DISMISSED)
    make_draft(lisbon, days=4, status=Status.PUBLISHED)
    make_draft(lisbon, days=9)

    html = signed_in(author).get("/").content.decode()

    assert html.count(LEAD) == 1
    day = local_today(lisbon) + timedelta(days=9)
    assert f"on {day:%A} {day.day} {day:%B}" in html


def test_home_runs_the_same_queries_with_one_suggestion_or_many(lisbon, author, settings):
    settings.PAGE_CACHE_SECONDS = 0  # count a whole render each time
    client = signed_in(author)
    make_draft(lisbon, days=1)
    client.get("/")  # warm what is cached per person (whether they opted in to their network)
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    for days in range(2, 8):
        make_draft(lisbon, days=days, post_x_id=1800000000000000000 + days)
    with CaptureQueriesContext(connection) as many:
        html = client.get("/").content.decode()
    assert html.count(LEAD) == 3  # at most three at a time
    assert len(many) == len(one)


def test_new_suggestions_show_on_a_home_kept_before_they_were_found(
    lisbon, author, django_capture_on_commit_callbacks
):
    client = signed_in(author)
    for _ in range(3):  # home keeps one's (no) suggestions rendered while it is current
        assert LEAD not in client.get("/").content.decode()
    candidate = Candidate(
        author_x_id=author.x_id,
        author_username="ana",
        city=lisbon,
        date=local_today(lisbon) + timedelta(days=2),
        post_x_id=1,
        post_text="Lisbon tweetup on Friday?",
        tags=(),
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert len(drafts_store([candidate])) == 1  # the daily search found one

    assert LEAD in client.get("/").content.decode()


# --- Dismiss ------------------------------------------------------------------------------


def dismiss_url(draft) -> str:
    return reverse("events:draft_dismiss", args=[draft.pk])


def test_the_author_dismisses_in_one_click_for_good(
    lisbon, author, django_capture_on_commit_callbacks
):
    draft = make_draft(lisbon)
    client = signed_in(author)
    for _ in range(3):  # home keeps one's suggestions rendered while it is current
        assert LEAD in client.get("/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(dismiss_url(draft), {"next": "/new/"})

    assert response.status_code == 302 and response["Location"] == "/new/"
    draft.refresh_from_db()
    assert draft.status == Status.DISMISSED and draft.decided_at is not None
    assert LEAD not in client.get("/").content.decode()
    # The daily search finding the same plans again makes nothing new.
    candidate = Candidate(
        author_x_id=author.x_id,
        author_username="ana",
        city=lisbon,
        date=draft.date,
        post_x_id=1,
        post_text="Lisbon tweetup, still on",
        tags=(),
    )
    assert drafts_store([candidate]) == []
    assert TweetupDraft.objects.get().status == Status.DISMISSED


def test_dismiss_with_htmx_swaps_the_card_out(lisbon, author):
    draft = make_draft(lisbon)
    response = signed_in(author).post(dismiss_url(draft), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content == b""
    assert TweetupDraft.objects.get().status == Status.DISMISSED


@pytest.mark.parametrize("who", ["visitor", "someone else", "staff"])
def test_only_the_author_may_dismiss(who, lisbon, author):
    draft = make_draft(lisbon)
    client = Client()
    if who != "visitor":
        client.force_login(UserFactory(x_id="7000009", is_staff=who == "staff"))

    response = client.post(dismiss_url(draft))

    assert response.status_code == (302 if who == "visitor" else 404)
    if who == "visitor":
        assert response["Location"].startswith(reverse("account_login"))
    assert TweetupDraft.objects.get().status == Status.SUGGESTED


def test_dismiss_needs_a_post_and_a_csrf_token(lisbon, author):
    draft = make_draft(lisbon)
    assert signed_in(author).get(dismiss_url(draft)).status_code == 405
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    assert client.post(dismiss_url(draft)).status_code == 403
    assert TweetupDraft.objects.get().status == Status.SUGGESTED


def test_a_dismissed_draft_cannot_be_dismissed_or_published_again(lisbon, author):
    draft = make_draft(lisbon, status=Status.DISMISSED)
    client = signed_in(author)
    assert client.post(dismiss_url(draft)).status_code == 404
    assert client.get(f"/new/?draft={draft.pk}").status_code == 404


# --- Publish ------------------------------------------------------------------------------


def test_publish_opens_the_organize_form_filled_from_the_post(lisbon, author):
    draft = make_draft(lisbon, text="Who's around Lisbon on Friday?")

    html = signed_in(author).get(f"/new/?draft={draft.pk}").content.decode()

    assert 'value="Lisbon tweetup"' in html
    assert 'value="LisbonTweetup"' in html
    assert f'value="{draft.date}T19:00"' in html and f'value="{draft.date}T22:00"' in html
    assert "Lisbon, Portugal" in html
    assert "From your post on X: <q>Who&#x27;s around Lisbon on Friday?</q>" in html
    assert LEAD not in html  # no list of suggestions over the one being published


def test_publishing_creates_the_tweetup_and_marks_the_draft(lisbon, author):
    draft = make_draft(lisbon)
    client = signed_in(author)

    response = client.post(f"/new/?draft={draft.pk}", form_data(lisbon))

    tweetup = Tweetup.objects.get()
    assert response.status_code == 302 and tweetup.organizer == author
    draft.refresh_from_db()
    assert (draft.status, draft.tweetup) == (Status.PUBLISHED, tweetup)
    assert LEAD not in client.get("/").content.decode()


def test_a_form_with_mistakes_keeps_the_draft_and_what_was_typed(lisbon, author):
    draft = make_draft(lisbon)
    response = signed_in(author).post(
        f"/new/?draft={draft.pk}", form_data(lisbon, venue_name="", title="My own title")
    )
    assert response.status_code == 200
    assert 'value="My own title"' in response.content.decode()
    assert TweetupDraft.objects.get().status == Status.SUGGESTED
    assert not Tweetup.objects.exists()


@pytest.mark.parametrize("who", ["someone else", "staff"])
def test_only_the_author_may_publish(who, lisbon, author):
    draft = make_draft(lisbon)
    client = signed_in(UserFactory(x_id="7000009", is_staff=who == "staff"))

    assert client.get(f"/new/?draft={draft.pk}").status_code == 404
    assert client.post(f"/new/?draft={draft.pk}", form_data(lisbon)).status_code == 404
    assert not Tweetup.objects.exists()
    assert TweetupDraft.objects.get().status == Status.SUGGESTED


def test_a_visitor_is_sent_to_sign_in(lisbon, author):
    draft = make_draft(lisbon)
    response = Client().get(f"/new/?draft={draft.pk}")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("value", ["abc", "-1", "１２", "9" * 40, "1\u00a0"])
def test_a_bad_draft_parameter_is_a_404(value, author):
    assert signed_in(author).get("/new/", {"draft": value}).status_code == 404
