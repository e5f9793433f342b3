from django.urls import path

from pdao.authorization import views

app_name = "authorization"

urlpatterns = [
    path("", views.application_list, name="application_list"),
    path("new/", views.application_create, name="application_create"),
    path("<int:pk>/", views.application_detail, name="application_detail"),
    path("<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("<int:pk>/items/", views.item_edit, name="item_edit"),
    path("<int:pk>/items/<int:item>/remove/", views.item_remove, name="item_remove"),
    path("<int:pk>/submit/", views.application_submit, name="application_submit"),
    path("<int:pk>/withdraw/", views.application_withdraw, name="application_withdraw"),
    path("<int:pk>/accept/", views.application_accept, name="application_accept"),
    path("<int:pk>/return/", views.application_return, name="application_return"),
    path("<int:pk>/opinion/", views.application_opinion, name="application_opinion"),
    path("<int:pk>/assess/", views.application_assess, name="application_assess"),
    path("<int:pk>/score/", views.application_score, name="application_score"),
    path("<int:pk>/close-scoring/", views.application_close_scoring, name="close_scoring"),
    path("<int:pk>/close-notice/", views.application_close_notice, name="close_notice"),
    path("<int:pk>/decide/", views.application_decide, name="application_decide"),
    path("objections/<int:pk>/answer/", views.objection_answer, name="objection_answer"),
    path("notices/", views.notices, name="notices"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/sign/", views.agreement_sign, name="agreement_sign"),
    path(
        "agreements/<int:pk>/agreement.<str:fmt>",
        views.agreement_download,
        name="agreement_download",
    ),
    path("authorizations/", views.authorization_list, name="authorization_list"),
    path("authorizations/<int:pk>/", views.authorization_detail, name="authorization_detail"),
    path(
        "authorizations/<int:pk>/suspend/",
        views.authorization_suspend,
        name="authorization_suspend",
    ),
    path(
        "authorizations/<int:pk>/resume/", views.authorization_resume, name="authorization_resume"
    ),
    path(
        "authorizations/<int:pk>/revoke/", views.authorization_revoke, name="authorization_revoke"
    ),
    path("authorizations/<int:pk>/renew/", views.authorization_renew, name="authorization_renew"),
    path("authorizations/<int:pk>/exit/", views.exit_start, name="exit_start"),
    path("exits/", views.exit_list, name="exits"),
    path("exits/<int:pk>/", views.exit_detail, name="exit_detail"),
    path("exits/<int:pk>/confirm/", views.exit_confirm, name="exit_confirm"),
    path("exits/<int:pk>/sign-off/", views.exit_sign_off, name="exit_sign_off"),
    path("exits/<int:pk>/report.<str:fmt>", views.exit_report, name="exit_report"),
    path("qualification/", views.qualification, name="qualification"),
    path("qualifications/", views.qualification_list, name="qualification_list"),
    path("qualifications/<int:pk>/", views.qualification_review, name="qualification_review"),
    path("documents/<int:pk>/", views.document_download, name="document_download"),
    path("rules/", views.rules, name="rules"),
]
