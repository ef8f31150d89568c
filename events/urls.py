from django.urls import path

from events.views import (
    cities,
    discovery,
    drafts,
    listings,
    network,
    organizing,
    sharing,
    tweetup,
    wall,
)

app_name = "events"
urlpatterns = [
    path("", listings.home, name="home"),
    path("cities/", cities.city_index, name="city_pick"),
    path("cities/search/", cities.city_search, name="city_search"),
    path("c/<slug:slug>/", listings.city_detail, name="city"),
    path("mine/", listings.my_tweetups, name="my_tweetups"),
    path("network/", network.network_page, name="network"),
    path("search/", discovery.search, name="search"),
    path("topics/", discovery.topic_list, name="topics"),
    path("topics/<slug:slug>/", discovery.topic_detail, name="topic"),
    path("new/", organizing.tweetup_new, name="tweetup_new"),
    path("drafts/<int:pk>/dismiss/", drafts.tweetup_draft_dismiss, name="draft_dismiss"),
    path("t/<slug:slug>/", tweetup.tweetup_detail, name="tweetup"),
    path("t/<slug:slug>/edit/", organizing.tweetup_edit, name="tweetup_edit"),
    path("t/<slug:slug>/cancel/", organizing.tweetup_cancel_form, name="tweetup_cancel"),
    path("t/<slug:slug>/rsvp/", tweetup.rsvp, name="rsvp"),
    path("t/<slug:slug>/rsvp/privacy/", tweetup.rsvp_privacy, name="rsvp_privacy"),
    path("t/<slug:slug>/calendar.ics", tweetup.tweetup_calendar, name="tweetup_ics"),
    path("t/<slug:slug>/card.png", sharing.tweetup_card_png, name="tweetup_card"),
    path("t/<slug:slug>/wall/", wall.tweetup_wall, name="tweetup_wall"),
    path("t/<slug:slug>/wall/<int:x_id>/hide/", wall.tweetup_wall_hide, name="tweetup_wall_hide"),
]
