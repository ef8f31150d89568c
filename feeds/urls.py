from django.urls import path

from feeds import views

app_name = "feeds"
urlpatterns = [
    path("c/<slug:slug>/calendar.ics", views.city_calendar, name="city_calendar"),
    path("c/<slug:slug>/atom.xml", views.city_atom, name="city_atom"),
    path("topics/<slug:slug>/calendar.ics", views.topic_calendar, name="topic_calendar"),
    path("topics/<slug:slug>/atom.xml", views.topic_atom, name="topic_atom"),
    path("search/calendar.ics", views.search_calendar, name="search_calendar"),
    path("feeds/", views.calendar_settings, name="calendar_settings"),
    path("feeds/<str:token>/calendar.ics", views.personal_calendar, name="personal_calendar"),
    path("feeds/<str:token>/network.ics", views.network_calendar, name="network_calendar"),
]
