from django import forms

from notifications.models import EmailPreferences


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
