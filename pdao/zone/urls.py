from django.urls import path

from pdao.zone import views

app_name = "zone"

urlpatterns = [
    path("", views.workspaces, name="workspaces"),
    path("queries/", views.queries, name="queries"),
    path("<str:code>/", views.workspace, name="workspace"),
    path("<str:code>/sample/<str:table>.csv", views.sample_download, name="sample"),
    path("<str:code>/derive/", views.derive, name="derive"),
    path("<str:code>/queries/<int:pk>/", views.query_status, name="query_status"),
    path("<str:code>/queries/<int:pk>/cancel/", views.query_cancel, name="query_cancel"),
    path("queries/<int:pk>/", views.query_detail, name="query_detail"),
    path("queries/<int:pk>/result.<str:fmt>", views.query_download, name="query_download"),
]
