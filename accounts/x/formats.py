"""What X's ids and usernames look like: one home for the sign-in and the hashtag sync."""

import re

# Decimal strings of a 64-bit snowflake.
X_ID_RE = re.compile(r"^[0-9]{1,19}$")
X_USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
