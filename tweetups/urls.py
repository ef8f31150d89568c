from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", account_views.sign_in, name="account_login"),
    path("accounts/", include("allauth.urls")),
    path("", include("events.urls")),
]

handler403 = "tweetups.views.permission_denied"
handler404 = "tweetups.views.page_not_found"
handler500 = "tweetups.views.server_error"
