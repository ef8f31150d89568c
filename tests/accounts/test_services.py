import pytest

from accounts.models import User
from accounts.services import user_update_from_x
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROFILE = {
    "id": "1460000000000000004",
    "username": "luciafdez",
    "name": "Lucía Fernández",
    "profile_image_url": "https://pbs.twimg.com/profile_images/1/lucia_normal.jpg",
}


def test_user_update_from_x_saves_a_known_user():
    user = UserFactory()

    user_update_from_x(user=user, profile=PROFILE)

    user.refresh_from_db()
    assert (user.x_id, user.x_username, user.display_name) == (
        "1460000000000000004",
        "luciafdez",
        "Lucía Fernández",
    )
    assert user.avatar_url == PROFILE["profile_image_url"]


def test_user_update_from_x_leaves_saving_a_new_user_to_the_caller():
    user = user_update_from_x(user=User(username="new"), profile=PROFILE)

    assert user.pk is None
    assert user.x_username == "luciafdez"
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "avatar",
    [
        "javascript:alert(1)",
        "data:image/svg+xml,<svg onload=alert(1)>",
        "//pbs.twimg.com/x.jpg",
        "https://pbs.twimg.com/" + "a" * 500,
        None,
        42,
    ],
)
def test_user_update_from_x_keeps_only_web_avatar_urls(avatar):
    user = user_update_from_x(user=User(), profile={**PROFILE, "profile_image_url": avatar})

    assert user.avatar_url == ""


def test_user_update_from_x_fits_long_values_into_their_columns():
    profile = {**PROFILE, "name": "N" * 150}

    user = user_update_from_x(user=User(), profile=profile)

    assert user.display_name == "N" * 100


@pytest.mark.parametrize(
    ("avatar", "kept"),
    [
        (
            "http://pbs.twimg.com/profile_images/1/a_normal.jpg",
            "https://pbs.twimg.com/profile_images/1/a_normal.jpg",
        ),
        ("HTTP://pbs.twimg.com/a.jpg", "https://pbs.twimg.com/a.jpg"),
        ("https://pbs.twimg.com/a.jpg", "https://pbs.twimg.com/a.jpg"),
        ("http://pbs.twimg.com/" + "a" * 479, ""),  # 500 characters once it says https
    ],
)
def test_user_update_from_x_keeps_avatars_as_https(avatar, kept):
    user = user_update_from_x(user=User(), profile={**PROFILE, "profile_image_url": avatar})

    assert user.avatar_url == kept
