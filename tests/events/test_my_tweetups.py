"""The "My tweetups" page: the tweetups you organize and the ones you're going to, in a
fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import Rsvp
from tests.factories import TweetupFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("rows", [1, 12])
def test_my_tweetups_query_count_is_fixed(client, user, berlin, rows):
    for _ in range(rows):
        TweetupFactory(city=berlin, organizer=user)
        going = TweetupFactory(city=berlin)
        Rsvp.objects.create(tweetup=going, user=user, status="going")
    client.force_login(user)
    client.get(reverse("events:my_tweetups"))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("events:my_tweetups"))
    assert response.text.count('class="card tweetup-row"') == 2 * rows
    assert len(ctx.captured_queries) <= 6
