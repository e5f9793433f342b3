from django.urls import path

from pdao.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("workbench/", views.workbench, name="workbench"),
    path("healthz", views.healthz, name="healthz"),
    path("track/", views.track, name="track"),
    path("i18n/setlang/", views.set_language, name="set_language"),
]
