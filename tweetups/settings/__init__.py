"""Tweetups settings, configured from the environment (django-environ); `tweetups.settings`
is the DJANGO_SETTINGS_MODULE. One module per job, each importing what it needs of the others:

| module | what it sets |
| --- | --- |
| `base` | the environment, Django's apps, middleware, templates, database, static files |
| `redis_celery` | Redis, the cache, Celery |
| `x_accounts` | sign in with X, a person's X network, sign-in and admin login limits |
| `site_behaviour` | RSVP limits, page sizes, the page cache, the wall |
| `sync` | the hashtag sync and X's content rules |
| `mail` | sending mail, the notifications and invitations |
| `found` | tweetups found in posts |
| `schedule` | every Celery beat job |
| `security` | CSP (with the map's tile host), cookies, HTTPS, logging |

Every value a deployment changes is an environment variable; the defaults are the
embedded ones `make run` uses (SQLite, a file-system Celery broker, the X emulator).
"""

from tweetups.settings.base import *  # noqa: F403
from tweetups.settings.found import *  # noqa: F403
from tweetups.settings.mail import *  # noqa: F403
from tweetups.settings.redis_celery import *  # noqa: F403
from tweetups.settings.schedule import *  # noqa: F403
from tweetups.settings.security import *  # noqa: F403
from tweetups.settings.site_behaviour import *  # noqa: F403
from tweetups.settings.sync import *  # noqa: F403
from tweetups.settings.x_accounts import *  # noqa: F403
