from django.urls import path

from pdao.finance import views

app_name = "finance"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("mine/", views.mine, name="mine"),
    path("statements/", views.statement_list, name="statement_list"),
    path(
        "statements/<str:month>/<str:side>/<int:organisation>.<str:fmt>",
        views.statement,
        name="statement",
    ),
    path("reconcile/<str:month>/<int:organisation>/", views.reconcile_page, name="reconcile"),
    path("reconcile/<str:month>/declare/", views.revenue_declare, name="revenue_declare"),
    path("limits/", views.limits, name="limits"),
    path("limits/set/", views.limit_set, name="limit_set"),
    path("limits/bond-yield/", views.bond_yield_record, name="bond_yield_record"),
    path("periods/", views.period_list, name="period_list"),
    path("periods/open/", views.period_open, name="period_open"),
    path("periods/<int:pk>/", views.period_detail, name="period_detail"),
    path("periods/<int:pk>/survey/", views.survey_start, name="survey_start"),
    path("periods/<int:pk>/allowance/", views.allowance_propose, name="allowance_propose"),
    path("surveys/<int:pk>/declare/", views.cost_declare, name="cost_declare"),
    path("surveys/<int:pk>/submit/", views.survey_submit, name="survey_submit"),
    path("surveys/<int:pk>/conclude/", views.survey_conclude, name="survey_conclude"),
    path("costs/<int:pk>/adjust/", views.cost_adjust, name="cost_adjust"),
    path("costs/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("allowances/<int:pk>/approve/", views.allowance_approve, name="allowance_approve"),
    path("allowances/<int:pk>/close/", views.year_close, name="year_close"),
    path("year-ends/<int:pk>/prices/", views.year_respond_prices, name="year_respond_prices"),
    path("year-ends/<int:pk>/caps/", views.year_respond_caps, name="year_respond_caps"),
    path("revenue/", views.revenue_list, name="revenue_list"),
    path("revenue/compute/", views.revenue_compute, name="revenue_compute"),
    path("remittances/", views.remittance_list, name="remittance_list"),
    path("remittances/issue/", views.remittance_issue, name="remittance_issue"),
    path("remittances/chase/", views.remittance_chase, name="remittance_chase"),
    path("remittances/<int:pk>/", views.remittance_detail, name="remittance_detail"),
    path(
        "remittances/<int:pk>/notice.<str:fmt>", views.remittance_notice, name="remittance_notice"
    ),
    path("remittances/<int:pk>/pay/", views.remittance_pay, name="remittance_pay"),
    path("remittances/<int:pk>/confirm/", views.remittance_confirm, name="remittance_confirm"),
    path("payee/", views.payee, name="payee"),
    path("payee/set/", views.payee_set, name="payee_set"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/generate/", views.report_generate, name="report_generate"),
    path("reports/<int:year>/file/", views.report_file, name="report_file"),
    path("reports/<int:year>.<str:fmt>", views.report_download, name="report_download"),
    path("budget/", views.budget, name="budget"),
    path("budget/allocate/", views.budget_allocate, name="budget_allocate"),
]
