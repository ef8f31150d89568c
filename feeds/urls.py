from django.urls import path

from feeds import views

app_name = "feeds"
urlpatterns = [
    path("c/<slug:slug>/calendar.ics", views.city_calendar, name="city_calendar"),
    path("c/<slug:slug>/atom.xml", views.city_atom, name="city_atom"),
    path("feeds/", views.calendar_settings, name="calendar_settings"),
    path("feeds/<str:token>/calendar.ics", views.personal_calendar, name="personal_calendar"),
]
