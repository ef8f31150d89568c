"""Recent search's index lag, what X bills, and faults aimed at one hashtag or a later page."""

import pytest

from tests.xemulator.conftest import SEARCH_PATH


def ids(response) -> list[str]:
    return [post["id"] for post in response.json().get("data", [])]


def test_posts_show_up_in_search_only_after_the_index_lag(x_emulator, x_search):
    control = x_emulator.control
    control.configure(search_index_lag_seconds=30)
    post = control.post_tweet("ada", "Fresh #Lagging")

    assert ids(x_search("#Lagging")) == []
    control.advance_clock(31)
    assert ids(x_search("#Lagging")) == [post["id"]]


def test_x_bills_each_post_once_per_utc_day_however_often_it_is_sent(x_emulator, x_search):
    control = x_emulator.control
    control.post_tweets([{"username": "ada", "text": f"Post {i} #Billed"} for i in range(3)])

    x_search("#Billed")
    x_search("#Billed")
    x_search("#Nothing")

    usage = control.usage()
    assert (usage["posts_billed"], usage["posts_sent"]) == (3, 6)
    control.advance_clock(24 * 3600)
    x_search("#Billed")
    usage = control.usage()
    assert (usage["posts_billed"], usage["posts_sent"]) == (6, 9)  # billed again the next day
    assert list(usage["by_day"].values()) == [3, 3]


def test_a_truncated_answer_is_billed_and_cut_in_half(x_emulator, x_search):
    control = x_emulator.control
    control.post_tweets([{"username": "ada", "text": f"Post {i} #Cut"} for i in range(12)])
    control.add_fault(SEARCH_PATH, "truncated")

    response = x_search("#Cut", max_results=10)

    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert control.usage()["posts_billed"] == 10
    assert [e["fault"] for e in control.requests(SEARCH_PATH)] == ["truncated"]


def test_a_fault_can_aim_at_one_hashtag_and_wait_for_a_later_request(x_emulator, x_search):
    control = x_emulator.control
    control.add_fault(SEARCH_PATH, status=400, query_contains="#BAD", after=1, count=5)

    statuses = [
        x_search(query).status_code for query in ("#good", "(#a OR #bad)", "#bad", "#good", "#Bad")
    ]

    assert statuses == [200, 200, 400, 200, 400]


def test_fault_and_lag_settings_are_checked(x_emulator):
    from xemulator.client import EmulatorControlError

    with pytest.raises(EmulatorControlError):
        x_emulator.control.add_fault(SEARCH_PATH, after=-1)
    with pytest.raises(EmulatorControlError):
        x_emulator.control.configure(search_index_lag_seconds=-1)
