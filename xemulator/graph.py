"""EmulatorState's follow graph: who each account follows, newest follow first.

A list is the accounts a test named (`user_ids`, existing accounts) followed by `generated`
made-up ones. Made-up accounts are computed from their position when a page asks for them,
never stored, so a list of 100,000 costs a few bytes: 1,000 a page come back in
milliseconds. They are not in the user list and cannot sign in; their ids
(GENERATED_ID_BASE + seed * GENERATED_PER_SEED + position) stay clear of the demo accounts'
and of those the emulator creates.

A mixin so state.py stays readable; it relies on EmulatorState's `lock` and `users`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from xemulator.accounts import XUser
from xemulator.demo import DEMO_FOLLOWING
from xemulator.errors import EmulatorError

GENERATED_ID_BASE = 1_700_000_000_000_000_000
GENERATED_PER_SEED = 10_000_000
MAX_SEED = 999
MAX_GENERATED_FOLLOWS = 1_000_000
MAX_NAMED_FOLLOWS = 100_000


@dataclass(frozen=True)
class Following:
    """Who one account follows: `user_ids` (newest first), then `generated` made-up accounts,
    every `protected_every`-th of which is protected (0: none)."""

    user_ids: tuple[str, ...] = ()
    generated: int = 0
    seed: int = 0
    protected_every: int = 0

    def __len__(self) -> int:
        return len(self.user_ids) + self.generated

    def generated_id(self, position: int) -> str:
        return str(GENERATED_ID_BASE + self.seed * GENERATED_PER_SEED + position)

    def ids(self, start: int, stop: int) -> list[str]:
        """The followed ids at positions [start, stop)."""
        named = list(self.user_ids[start:stop])
        first = max(start - len(self.user_ids), 0)
        last = min(stop - len(self.user_ids), self.generated)
        return named + [self.generated_id(position) for position in range(first, last)]

    def contains(self, user_id: str) -> bool:
        if user_id in self.user_ids:
            return True
        if not user_id.isdigit():
            return False
        position = int(user_id) - GENERATED_ID_BASE - self.seed * GENERATED_PER_SEED
        return 0 <= position < self.generated

    def made_up_user(self, user_id: str) -> XUser | None:
        """The made-up account with this id, if it is one of this list's."""
        position = int(user_id) - GENERATED_ID_BASE - self.seed * GENERATED_PER_SEED
        if not 0 <= position < self.generated:
            return None
        number = position + 1
        username = f"fan{self.seed}_{number}"
        return XUser(
            id=user_id,
            username=username,
            name=f"Follower {number}",
            profile_image_url=f"https://pbs.twimg.com/profile_images/{user_id}/{username}_normal.jpg",
            protected=bool(self.protected_every) and number % self.protected_every == 0,
        )

    def summary(self) -> dict:
        return {
            "count": len(self),
            "user_ids": list(self.user_ids),
            "generated": self.generated,
            "seed": self.seed,
            "protected_every": self.protected_every,
        }


def _whole(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise EmulatorError(f"{name} must be a whole number from {low} to {high}")
    return value


class FollowsMixin:
    """The follow graph for EmulatorState: every method takes the state's lock."""

    def reset_follows(self) -> None:
        self.followings: dict[str, Following] = {
            user_id: Following(user_ids=ids) for user_id, ids in DEMO_FOLLOWING.items()
        }

    def following(self, user_id: str) -> Following:
        with self.lock:
            return self.followings.get(user_id, Following())

    def set_following(
        self,
        user_id: str,
        *,
        user_ids: list[str] | None = None,
        generate: int = 0,
        seed: int = 0,
        protected_every: int = 0,
    ) -> Following:
        """Replace whom `user_id` follows: existing accounts `user_ids` (newest follow
        first), then `generate` made-up accounts; every `protected_every`-th made-up one
        is protected."""
        user_ids = [] if user_ids is None else user_ids
        if not isinstance(user_ids, list) or not all(isinstance(i, str) for i in user_ids):
            raise EmulatorError("user_ids must be a list of user ids")
        if len(user_ids) > MAX_NAMED_FOLLOWS:
            raise EmulatorError(f"at most {MAX_NAMED_FOLLOWS} user_ids; generate the rest")
        generate = _whole("generate", generate, 0, MAX_GENERATED_FOLLOWS)
        seed = _whole("seed", seed, 0, MAX_SEED)
        protected_every = _whole("protected_every", protected_every, 0, MAX_GENERATED_FOLLOWS)
        with self.lock:
            if user_id not in self.users:
                raise KeyError(user_id)
            unknown = [i for i in user_ids if i not in self.users]
            if unknown:
                raise EmulatorError(f"no such user: {unknown[0]}")
            if user_id in user_ids:
                raise EmulatorError("an account cannot follow itself")
            following = Following(
                user_ids=tuple(dict.fromkeys(user_ids)),
                generated=generate,
                seed=seed,
                protected_every=protected_every,
            )
            self.followings[user_id] = following
            return following

    def follows(self, follower_id: str, followed_id: str) -> bool:
        with self.lock:
            found = self.followings.get(follower_id)
            return found is not None and found.contains(followed_id)

    def followed_users(self, user_id: str, start: int, stop: int) -> list[XUser]:
        """The accounts at positions [start, stop) of `user_id`'s following list."""
        with self.lock:
            following = self.followings.get(user_id, Following())
            found = []
            for followed_id in following.ids(start, stop):
                user = self.users.get(followed_id) or following.made_up_user(followed_id)
                if user is not None:
                    found.append(user)
            return found

    def _forget_follows_of(self, user_id: str) -> None:
        """A deleted account follows no one and leaves every list it was on."""
        self.followings.pop(user_id, None)
        for follower_id, following in list(self.followings.items()):
            if user_id in following.user_ids:
                kept = tuple(i for i in following.user_ids if i != user_id)
                self.followings[follower_id] = replace(following, user_ids=kept)
