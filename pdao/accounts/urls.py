from django.urls import path

from pdao.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("me/", views.profile, name="profile"),
    path("me/password/", views.password_change, name="password_change"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/new/", views.organisation_create, name="organisation_create"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path("organisations/<int:pk>/verify/", views.organisation_verify, name="organisation_verify"),
    path(
        "organisations/<int:pk>/active/",
        views.organisation_set_active,
        name="organisation_set_active",
    ),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/roles/grant/", views.user_grant_role, name="user_grant_role"),
    path("users/<int:pk>/roles/revoke/", views.user_revoke_role, name="user_revoke_role"),
    path("users/<int:pk>/active/", views.user_set_active, name="user_set_active"),
    path("users/<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path("users/<int:pk>/password/", views.user_set_password, name="user_set_password"),
]
