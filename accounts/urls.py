from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("x-network/", views.network, name="network"),
    path("x-network/disconnect/", views.network_disconnect_view, name="network_disconnect"),
    path("x-network/refresh/", views.network_refresh, name="network_refresh"),
    path("x-network/not-now/", views.network_offer_decline_view, name="network_offer_decline"),
]
