from django.urls import path

from pdao.catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("", views.resource_list, name="resource_list"),
    path("open/", views.open_catalogue, name="open_catalogue"),
    path("new/", views.resource_create, name="resource_create"),
    path("template.xlsx", views.catalogue_template, name="template"),
    path("export/", views.catalogue_export, name="export"),
    path("import/", views.catalogue_import, name="import"),
    path("<int:pk>/", views.resource_detail, name="resource_detail"),
    path("<int:pk>/upload/", views.version_upload, name="version_upload"),
    path("ingest/<int:pk>/", views.ingest_job, name="ingest_job"),
    path("ingest/<int:pk>/retry/", views.ingest_retry, name="ingest_retry"),
    path("versions/<int:pk>/activate/", views.version_activate, name="version_activate"),
    path("fields/<int:pk>/tag/", views.field_tag, name="field_tag"),
    path("<int:pk>/grading/", views.grading_review, name="grading_review"),
    path("<int:pk>/register/", views.registration_submit, name="registration_submit"),
    path("registrations/<int:pk>/", views.registration_detail, name="registration_detail"),
    path("registrations/<int:pk>/notice/", views.registration_notice, name="registration_notice"),
    path("registrations/<int:pk>/decide/", views.registration_decide, name="registration_decide"),
    path("objections/<int:pk>/answer/", views.objection_answer, name="objection_answer"),
    path("registrations/export/", views.registrations_export, name="registrations_export"),
    path("notices/", views.notices, name="notices"),
    path("demands/", views.demand_list, name="demands"),
    path("demands/<int:pk>/", views.demand_detail, name="demand_detail"),
    path("demands/<int:pk>/schedule/", views.demand_schedule, name="demand_schedule"),
    path("demands/<int:pk>/meet/", views.demand_meet, name="demand_meet"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task_complete"),
    path("joins/", views.declared_joins, name="joins"),
]
