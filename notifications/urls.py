from django.urls import path

from notifications import invite_views, views

app_name = "notifications"
urlpatterns = [
    path("email/", views.email_settings, name="settings"),
    path("c/<slug:slug>/follow/", views.city_follow_toggle, name="city_follow"),
    path("t/<slug:slug>/message/", views.organizer_message, name="organizer_message"),
    path("t/<slug:slug>/invite/", invite_views.tweetup_invite, name="invite"),
    # Links in mail. Before the token pattern: "done" is not a token (tokens hold a colon).
    path("e/rsvp/", views.rsvp_confirm, name="rsvp_confirm"),
    path("e/rsvp/done/", views.rsvp_done, name="rsvp_done"),
    path("e/rsvp/<str:token>/", views.rsvp_link, name="rsvp_link"),
    path("e/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
