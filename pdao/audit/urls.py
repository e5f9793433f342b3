from django.urls import path

from pdao.audit import views

app_name = "audit"

urlpatterns = [
    path("events/", views.event_list, name="event_list"),
    path("events/export/", views.event_export, name="event_export"),
]
