import pytest
from django.urls import reverse

from tests.factories import TweetupFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    "model,query",
    [
        ("events_city", {"q": "Berl", "country": "Germany"}),
        ("events_tweetup", {"q": "owls", "status__exact": "scheduled"}),
        ("events_rsvp", {"q": "owl", "status__exact": "going"}),
        ("accounts_user", {"q": "owl", "is_staff__exact": "1"}),
    ],
)
def test_changelists_search_and_filter(staff_client, berlin, model, query):
    tweetup = TweetupFactory(city=berlin, title="Night owls", hashtag="owls")
    tweetup.organizer.x_username = "owlish"
    tweetup.organizer.save()
    response = staff_client.get(reverse(f"admin:{model}_changelist"), query)
    assert response.status_code == 200
    assert "result" in response.text


def test_search_finds_the_tweetup_by_hashtag(staff_client, berlin):
    TweetupFactory(city=berlin, title="Night owls", hashtag="owls")
    TweetupFactory(city=berlin, title="Early birds", hashtag="birds")
    response = staff_client.get(reverse("admin:events_tweetup_changelist"), {"q": "owls"})
    assert "Night owls" in response.text
    assert "Early birds" not in response.text


def test_admin_is_closed_to_people_who_are_not_staff(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:events_tweetup_changelist"))
    assert response.status_code == 302
