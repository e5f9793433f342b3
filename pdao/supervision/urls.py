from django.urls import path

from pdao.supervision import views

app_name = "supervision"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/handle/", views.alert_handle, name="alert_handle"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/<int:pk>/", views.rule_update, name="rule_update"),
    path("rules/run/", views.rules_run, name="rules_run"),
    path("incidents/", views.incident_list, name="incident_list"),
    path("incidents/open/", views.incident_open, name="incident_open"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident_detail"),
    path("incidents/<int:pk>/link/", views.incident_link, name="incident_link"),
    path("incidents/<int:pk>/close/", views.incident_close, name="incident_close"),
    path("incidents/<int:pk>/report.<str:fmt>", views.incident_export, name="incident_export"),
    path("actions/", views.action_list, name="action_list"),
    path("actions/take/", views.action_take, name="action_take"),
    path("actions/<int:pk>/lift/", views.action_lift, name="action_lift"),
    path("spot-checks/", views.spotcheck_list, name="spotcheck_list"),
    path("spot-checks/draw/", views.spotcheck_draw, name="spotcheck_draw"),
    path("spot-checks/<int:pk>/", views.spotcheck_detail, name="spotcheck_detail"),
    path("spot-checks/<int:pk>/complete/", views.spotcheck_complete, name="spotcheck_complete"),
    path("spot-checks/items/<int:pk>/", views.spotcheck_conclude, name="spotcheck_conclude"),
    path(
        "spot-checks/items/<int:pk>/incident/",
        views.spotcheck_incident,
        name="spotcheck_incident",
    ),
    path("filings/", views.filing_list, name="filing_list"),
    path("filings.xlsx", views.filing_export, name="filing_export"),
]
