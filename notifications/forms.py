import re

from django import forms

from accounts.x.formats import X_USERNAME_RE
from notifications.models import EmailPreferences

INVITE_HANDLES_MAX = 10  # and an X post holds them with the text and the link
INVITE_INPUT_MAX_CHARS = 2000
HANDLE_SEPARATORS = re.compile(r"[\s,;]+")
X_PROFILE_URL_RE = re.compile(
    r"(?:https?://)?(?:www\.|mobile\.)?(?:x|twitter)\.com/(@?[^/?#]*)/?", re.IGNORECASE
)


class EmailPreferencesForm(forms.ModelForm):
    class Meta:
        model = EmailPreferences
        fields = [
            "confirmations",
            "reminders",
            "changes",
            "promotions",
            "new_in_city",
            "digest",
            "organizer",
            "invitations",
        ]


class OrganizerMessageForm(forms.Form):
    subject = forms.CharField(max_length=120, help_text="Shown as the subject of the email.")
    body = forms.CharField(
        label="Message",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Plain text. It goes to everyone going, by email.",
    )
    include_maybe = forms.BooleanField(label="Also people who said maybe", required=False)
    include_waitlisted = forms.BooleanField(label="Also people on the waitlist", required=False)


class FollowForm(forms.Form):
    follow = forms.TypedChoiceField(
        choices=[("1", "Follow"), ("0", "Unfollow")], coerce=lambda v: v == "1"
    )


class InviteForm(forms.Form):
    """One or several X handles: "@maya_okafor, @sam" or their x.com addresses."""

    handles = forms.CharField(
        label="X handles",
        help_text=(
            f"One or several, like @maya_okafor @sam_k. Up to {INVITE_HANDLES_MAX} at a time."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, inviter_handle: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.inviter_handle = inviter_handle.lower()

    def clean_handles(self) -> list[str]:
        handles = handles_parse(self.cleaned_data["handles"])
        if self.inviter_handle and [h.lower() for h in handles] == [self.inviter_handle]:
            raise forms.ValidationError("That's you: enter the handles of the people to invite.")
        return handles


def handles_parse(value: str) -> list[str]:
    """X handles as typed (without the @, the first spelling of each); ValidationError
    naming what isn't one."""
    if len(value) > INVITE_INPUT_MAX_CHARS:
        raise forms.ValidationError(
            f"That's far more than {INVITE_HANDLES_MAX} handles. Enter up to "
            f"{INVITE_HANDLES_MAX} at a time."
        )
    tokens = [token for token in HANDLE_SEPARATORS.split(value) if token]
    if len(tokens) > INVITE_HANDLES_MAX:
        raise forms.ValidationError(
            f"Up to {INVITE_HANDLES_MAX} handles at a time: you entered {len(tokens):,}."
        )
    handles, bad = {}, []
    for token in tokens:
        profile = X_PROFILE_URL_RE.fullmatch(token)
        name = (profile[1] if profile else token).removeprefix("@")
        if X_USERNAME_RE.fullmatch(name):
            handles.setdefault(name.lower(), name)
        else:
            bad.append(token if len(token) <= 20 else f"{token[:20]}…")
    if bad:
        shown = ", ".join(f"“{token}”" for token in bad[:3])
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        raise forms.ValidationError(
            f"Not an X handle: {shown}{more}. A handle has 1 to 15 letters, digits or "
            "underscores, like @maya_okafor."
        )
    if not handles:
        raise forms.ValidationError("Enter at least one X handle, like @maya_okafor.")
    return list(handles.values())
