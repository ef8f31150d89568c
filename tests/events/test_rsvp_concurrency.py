"""RSVPs racing each other on PostgreSQL, where the row locks in the services are real.

Pool size: one thread per call, each with its own connection, all released by one barrier.
PostgreSQL allows `max_connections` (100 by default) for everyone, so CI raises it to 300
(.ci/run) and there all 200 RSVPs really are simultaneous: the test fails rather than run
with fewer. On a developer's server with less headroom (`_free_connections`) the calls
share fewer threads, each pulling from a queue until it is empty.
"""

import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

import pytest
from django.db import connection, transaction
from django.utils import timezone

from events.models import Rsvp, Tweetup
from events.rsvps import rsvp_set, waitlist_rank
from events.services import TweetupDetails, tweetup_create
from tests.factories import TweetupFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MAX_WORKERS = 200
MIN_WORKERS = 8
# CI: every call gets its own thread, or the test fails (TWEETUPS_REQUIRE_ALL_SERVICES=1).
ONE_THREAD_PER_CALL = os.environ.get("TWEETUPS_REQUIRE_ALL_SERVICES") == "1"
# Left free for the main thread, other test runs and psql sessions.
CONNECTION_HEADROOM = 10


@dataclass
class Outcome:
    workers: int
    errors: list[BaseException] = field(default_factory=list)
    peak_in_flight: int = 0


def _free_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int"
            " - current_setting('superuser_reserved_connections')::int"
            " - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
        )
        return cursor.fetchone()[0] - CONNECTION_HEADROOM


def run_at_once(calls: list[Callable[[], object]]) -> Outcome:
    """Run the calls on a bounded pool of threads released together; collect every error."""
    free = _free_connections()
    workers = min(len(calls), MAX_WORKERS, free)
    assert workers >= MIN_WORKERS, f"only {workers} PostgreSQL connections free"
    if ONE_THREAD_PER_CALL:
        assert workers == len(calls), (
            f"{len(calls)} simultaneous calls need as many connections; {free} are free "
            "(raise max_connections, as .ci/run does)"
        )
    outcome = Outcome(workers=workers)
    pending: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
    for call in calls:
        pending.put(call)
    barrier = threading.Barrier(workers)
    counter_lock = threading.Lock()
    in_flight = 0

    def work() -> None:
        nonlocal in_flight
        try:
            connection.ensure_connection()  # connect before the barrier, not in the race
            with connection.cursor() as cursor:
                # These threads share one GIL, so a lock holder also waits its turn for the
                # GIL between statements, and the queue behind a full tweetup's row drains
                # far slower than across web processes: the web's lock_timeout would cancel
                # its tail. These tests are about what the races leave behind; the bound on
                # the wait is tested in test_rsvp_busy.py.
                cursor.execute("SET lock_timeout = '60s'")
            barrier.wait(timeout=30)
            while True:
                try:
                    call = pending.get_nowait()
                except queue.Empty:
                    return
                with counter_lock:
                    in_flight += 1
                    outcome.peak_in_flight = max(outcome.peak_in_flight, in_flight)
                try:
                    call()
                finally:
                    with counter_lock:
                        in_flight -= 1
        except BaseException as exc:  # the main thread reports it
            with counter_lock:
                outcome.errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome


def assert_raced(outcome: Outcome) -> None:
    assert outcome.errors == []
    # The barrier released the pool together: most workers were inside a call at once.
    assert outcome.peak_in_flight > outcome.workers // 2


def going(tweetup: Tweetup, user, *, as_the_view: bool) -> None:
    """As the RSVP view says going: the tweetup read in the same request (`just_read`, the
    one-statement path for newcomers on PostgreSQL), or as other callers do."""
    if as_the_view:
        tweetup = Tweetup.objects.select_related("city").get(pk=tweetup.pk)
    rsvp_set(user=user, tweetup=tweetup, status=Rsvp.Status.GOING, just_read=as_the_view)


AS_THE_VIEW = pytest.mark.parametrize("as_the_view", [False, True], ids=["service", "view"])


def fill(tweetup: Tweetup, users) -> None:
    for user in users:
        rsvp_set(user=user, tweetup=tweetup, status=Rsvp.Status.GOING)


@AS_THE_VIEW
@pytest.mark.parametrize("run", range(2))
def test_200_people_going_at_once_fill_exactly_the_seats_and_queue_the_rest(run, as_the_view):
    tweetup = TweetupFactory(capacity=50)
    # The organizer says going too: it must keep their seat, not waitlist them.
    people = [tweetup.organizer, *UserFactory.create_batch(199)]

    outcome = run_at_once([partial(going, tweetup, u, as_the_view=as_the_view) for u in people])

    assert_raced(outcome)
    rsvps = Rsvp.objects.filter(tweetup=tweetup)
    assert rsvps.count() == 200
    assert sorted(rsvps.values_list("user_id", flat=True)) == sorted(u.pk for u in people)
    assert rsvps.going().count() == 50
    tweetup.refresh_from_db()
    assert tweetup.going_count == 50
    assert rsvps.going().filter(user=tweetup.organizer).exists()
    waitlisted = list(rsvps.waitlisted())
    assert [r.waitlist_position for r in waitlisted] == list(range(1, 151))
    # First come, first served: the line is in the order the locked decisions were made.
    assert [r.created_at for r in waitlisted] == sorted(r.created_at for r in waitlisted)
    last_seat = rsvps.going().exclude(user=tweetup.organizer).order_by("-created_at").first()
    assert last_seat.created_at < waitlisted[0].created_at


def test_20_people_leaving_at_once_promote_the_first_20_in_line():
    tweetup = TweetupFactory(capacity=50)
    people = UserFactory.create_batch(199)
    fill(tweetup, people)
    seated = people[:49]
    line_by_position = {
        r.user_id: r.waitlist_position for r in Rsvp.objects.filter(tweetup=tweetup).waitlisted()
    }
    assert list(line_by_position.values()) == list(range(1, 151))
    leavers = seated[::2][:20]

    outcome = run_at_once(
        [partial(rsvp_set, user=u, tweetup=tweetup, status=Rsvp.Status.NOT_GOING) for u in leavers]
    )

    assert_raced(outcome)
    rsvps = Rsvp.objects.filter(tweetup=tweetup)
    assert set(rsvps.filter(status=Rsvp.Status.NOT_GOING).values_list("user_id", flat=True)) == {
        u.pk for u in leavers
    }
    assert rsvps.going().count() == 50
    first_20 = [user_id for user_id, position in line_by_position.items() if position <= 20]
    # Each leaver's locked turn promoted one person; their stamps give the order they got in.
    promoted = rsvps.going().filter(user_id__in=first_20).order_by("updated_at")
    assert list(promoted.values_list("user_id", flat=True)) == first_20
    assert not rsvps.going().exclude(waitlist_position=None).exists()
    # Everyone still in line kept their place and moved up by 20.
    still_waiting = list(rsvps.waitlisted())
    assert [(r.user_id, r.waitlist_position) for r in still_waiting] == [
        (user_id, position) for user_id, position in line_by_position.items() if position > 20
    ]
    assert [waitlist_rank(r) for r in still_waiting] == list(range(1, 131))


@AS_THE_VIEW
@pytest.mark.parametrize(
    ("capacity", "status", "position"),
    [(None, Rsvp.Status.GOING, None), (1, Rsvp.Status.WAITLISTED, 1)],
    ids=["seat-free", "full"],
)
def test_one_person_saying_going_20_times_at_once_gets_one_rsvp(
    capacity, status, position, as_the_view
):
    tweetup = TweetupFactory(capacity=capacity)
    person = UserFactory()

    outcome = run_at_once([partial(going, tweetup, person, as_the_view=as_the_view)] * 20)

    assert_raced(outcome)
    rsvp = Rsvp.objects.get(tweetup=tweetup, user=person)
    assert (rsvp.status, rsvp.waitlist_position) == (status, position)
    assert Rsvp.objects.filter(tweetup=tweetup).count() == 2  # the organizer and the person
    tweetup.refresh_from_db()
    assert tweetup.going_count == Rsvp.objects.filter(tweetup=tweetup).going().count()


def test_an_rsvp_in_progress_blocks_neither_other_tweetups_in_its_city_nor_new_ones():
    """rsvp_set locks its tweetup row only, not the city it reads alongside."""
    busy = TweetupFactory(capacity=10)
    other = TweetupFactory(city=busy.city, capacity=10)
    locked, release = threading.Event(), threading.Event()
    holder_errors: list[BaseException] = []

    def hold_an_rsvp_open() -> None:
        try:
            with transaction.atomic():
                rsvp_set(user=UserFactory(), tweetup=busy, status=Rsvp.Status.GOING)
                locked.set()
                release.wait(timeout=30)
        except BaseException as exc:  # the test asserts there were none
            holder_errors.append(exc)
        finally:
            locked.set()
            connection.close()

    holder = threading.Thread(target=hold_an_rsvp_open)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Waiting for a lock here means the holder's lock was too wide: fail fast.
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            rsvp = rsvp_set(user=UserFactory(), tweetup=other, status=Rsvp.Status.GOING)
            start = timezone.now() + timedelta(days=5)
            created = tweetup_create(
                organizer=UserFactory(),
                details=TweetupDetails(
                    city=busy.city,
                    title="Same city, same evening",
                    venue_name="Späti",
                    starts_at=start,
                    ends_at=start + timedelta(hours=2),
                    hashtag="samecity",
                ),
            )
    finally:
        release.set()
        holder.join()

    assert holder_errors == []
    assert rsvp.status == Rsvp.Status.GOING
    assert Tweetup.objects.filter(pk=created.pk, city=busy.city).exists()
    assert Rsvp.objects.filter(tweetup=busy).going().count() == 2
