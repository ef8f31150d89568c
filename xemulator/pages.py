"""HTML for the emulator's browser-facing pages: the consent screen and its error page.

Everything echoed comes from the request or the control API, so every value goes through
`escape()`; the only unescaped strings are the literals in this module.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from xemulator.demo import SCOPES
from xemulator.state import ConsentRequest, XUser

STYLE = """
:root { color-scheme: light; --ink: #0f1419; --muted: #536471; --line: #cfd9de; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: #f7f9f9; }
main { max-width: 34rem; margin: 2rem auto; padding: 1.5rem; background: #fff;
       border: 1px solid var(--line); border-radius: 16px; }
.badge { display: inline-block; margin: 0 0 1rem; padding: 0.15rem 0.6rem; border-radius: 999px;
         background: #fff4d6; color: #5c3c00; font-size: 0.85rem; font-weight: 600; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 1rem; }
h2 { font-size: 1.05rem; margin: 1.5rem 0 0.5rem; }
ul.scopes { padding-left: 1.2rem; margin: 0; }
fieldset { border: 1px solid var(--line); border-radius: 12px; margin: 1.5rem 0 0;
           padding: 0.75rem 1rem; }
legend { font-weight: 700; padding: 0 0.3rem; }
.account { display: flex; gap: 0.6rem; align-items: center; padding: 0.4rem 0; }
.account input { width: 1.1rem; height: 1.1rem; margin: 0; }
.account label { display: flex; flex-direction: column; line-height: 1.25; cursor: pointer; }
.handle, .hint { color: var(--muted); font-size: 0.92rem; }
.new-handle { margin-top: 0.75rem; }
.new-handle label { display: block; font-weight: 600; }
.new-handle input { width: 100%; font: inherit; padding: 0.5rem 0.7rem; margin-top: 0.25rem;
                    border: 1px solid #8b98a5; border-radius: 8px; }
.error { color: #b3261e; font-weight: 600; }
.actions { display: flex; gap: 0.75rem; flex-wrap: wrap; margin-top: 1.5rem; }
button { font: inherit; font-weight: 700; border-radius: 999px; padding: 0.6rem 1.4rem;
         cursor: pointer; border: 1px solid var(--ink); }
button.primary { background: var(--ink); color: #fff; }
button.secondary { background: #fff; color: var(--ink); }
:focus-visible { outline: 3px solid #1d9bf0; outline-offset: 2px; }
"""


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} · X API emulator</title>\n<style>{STYLE}</style>\n</head>\n"
        f'<body>\n<main>\n<p class="badge">X API emulator: not the real X</p>\n{body}\n</main>\n'
        "</body>\n</html>\n"
    )


def error_page(message: str) -> str:
    return _page(
        "Something went wrong",
        "<h1>Something went wrong</h1>\n"
        f'<p class="error" role="alert">{escape(message)}</p>\n'
        "<p>Go back to the app and start signing in again.</p>",
    )


def consent_page(
    *,
    app_name: str,
    consent: ConsentRequest,
    users: list[XUser],
    selected_user_id: str = "",
    new_username: str = "",
    error: str = "",
) -> str:
    heading = f"{app_name} wants to access your X account"
    scopes = "\n".join(
        f'<li>{escape(SCOPES.get(scope, scope))} <span class="hint">({escape(scope)})</span></li>'
        for scope in consent.scopes
    )
    if not selected_user_id and not new_username and users:
        selected_user_id = users[0].id
    accounts = "\n".join(
        '<div class="account">'
        f'<input type="radio" name="user_id" id="user-{escape(user.id)}" value="{escape(user.id)}"'
        f"{' checked' if user.id == selected_user_id else ''}>"
        f'<label for="user-{escape(user.id)}">{escape(user.name)}'
        f' <span class="handle">@{escape(user.username)}</span></label></div>'
        for user in users
    )
    alert = (
        f'<p class="error" role="alert" id="consent-error">{escape(error)}</p>\n' if error else ""
    )
    described_by = "new-username-hint consent-error" if error else "new-username-hint"
    invalid = ' aria-invalid="true"' if error and new_username else ""
    return_host = urlsplit(consent.redirect_uri).netloc
    body = f"""<h1>{escape(heading)}</h1>
<h2 id="scopes-heading">{escape(app_name)} will be able to</h2>
<ul class="scopes" aria-labelledby="scopes-heading">
{scopes}
</ul>
<form method="post" action="/i/oauth2/authorize">
<input type="hidden" name="consent_id" value="{escape(consent.id)}">
<fieldset>
<legend>Sign in as</legend>
{alert}{accounts}
<div class="new-handle">
<label for="new_username">Or use another handle</label>
<input type="text" id="new_username" name="new_username" value="{escape(new_username)}"
 maxlength="16" autocomplete="off" spellcheck="false"
 aria-describedby="{described_by}"{invalid}>
<p class="hint" id="new-username-hint">Up to 15 letters, digits or underscores. A handle the
emulator does not know yet becomes a new account. When filled in, it wins over the choice above.</p>
</div>
</fieldset>
<div class="actions">
<button type="submit" class="primary" name="decision" value="authorize">Authorize app</button>
<button type="submit" class="secondary" name="decision" value="cancel">Cancel</button>
</div>
</form>
<p class="hint">Either way you go back to {escape(return_host)}.</p>"""
    return _page(heading, body)
