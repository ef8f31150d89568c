from django.urls import path

from events import views

app_name = "events"
urlpatterns = [
    path("", views.home, name="home"),
    path("cities/", views.city_pick, name="city_pick"),
    path("c/<slug:slug>/", views.city_detail, name="city"),
    path("new/", views.tweetup_new, name="tweetup_new"),
    path("mine/", views.my_tweetups, name="my_tweetups"),
    path("t/<slug:slug>/", views.tweetup_detail, name="tweetup"),
    path("t/<slug:slug>/edit/", views.tweetup_edit, name="tweetup_edit"),
    path("t/<slug:slug>/cancel/", views.tweetup_cancel_view, name="tweetup_cancel"),
    path("t/<slug:slug>/rsvp/", views.rsvp, name="rsvp"),
    path("t/<slug:slug>/calendar.ics", views.tweetup_calendar, name="tweetup_ics"),
    path("t/<slug:slug>/wall/", views.tweetup_wall, name="tweetup_wall"),
    path("t/<slug:slug>/wall/<int:x_id>/hide/", views.tweetup_wall_hide, name="tweetup_wall_hide"),
]
