from django.urls import path

from pdao.supervision import views

app_name = "supervision"

urlpatterns = [
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/handle/", views.alert_handle, name="alert_handle"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/<int:pk>/", views.rule_update, name="rule_update"),
    path("rules/run/", views.rules_run, name="rules_run"),
    path("actions/", views.action_list, name="action_list"),
    path("actions/take/", views.action_take, name="action_take"),
    path("actions/<int:pk>/lift/", views.action_lift, name="action_lift"),
]
