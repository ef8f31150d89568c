"""Reading pages in view tests: a signed-in client, and the parts of a tweetup page."""

from django.test import Client


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def people_going(html: str) -> str:
    """The attendee list on a tweetup page ("" when it has none)."""
    if 'aria-label="People going"' not in html:
        return ""
    return html.split('aria-label="People going"')[1].split("</ul>")[0]


def network_block(html: str) -> str:
    """The "people you follow are going" section, or "" when the page has none."""
    start = html.find('<section class="network-going"')
    return html[start : html.index("</section>", start)] if start >= 0 else ""
