from django.urls import path

from pdao.market import views

app_name = "market"

urlpatterns = [
    path("", views.home, name="home"),
    path("p/<str:code>/", views.product, name="product"),
    path("p/<str:code>/specification/", views.specification, name="specification"),
    path("p/<str:code>/register/", views.registration_submit, name="registration_submit"),
    path("p/<str:code>/list/", views.listing_create, name="listing_create"),
    path("p/<str:code>/order/", views.order_place, name="order_place"),
    path("listings/", views.listings_page, name="listings"),
    path("l/<str:code>/", views.listing_detail, name="listing_detail"),
    path("l/<str:code>/object/", views.listing_object, name="listing_object"),
    path("l/<str:code>/prepare/", views.listing_prepare, name="listing_prepare"),
    path("l/<str:code>/advance/", views.listing_advance, name="listing_advance"),
    path("l/<str:code>/regulate/", views.listing_regulate, name="listing_regulate"),
    path("l/<str:code>/package.zip", views.listing_package, name="listing_package"),
    path("objections/<int:pk>/answer/", views.objection_answer, name="objection_answer"),
    path("registrations/", views.registrations, name="registrations"),
    path("registrations/<int:pk>/decide/", views.registration_decide, name="registration_decide"),
    path("related/", views.related, name="related"),
    path("orders/", views.order_list, name="orders"),
    path("orders/<str:code>/", views.order_detail, name="order_detail"),
    path("orders/<str:code>/contract.<str:fmt>", views.order_contract, name="order_contract"),
    path("orders/<str:code>/sign/", views.order_sign, name="order_sign"),
    path("orders/<str:code>/pay/", views.order_pay, name="order_pay"),
    path("orders/<str:code>/confirm/", views.order_confirm, name="order_confirm"),
    path("orders/<str:code>/accept/", views.order_accept, name="order_accept"),
    path("orders/<str:code>/dispute/", views.order_dispute, name="order_dispute"),
    path("orders/<str:code>/resolve/", views.order_resolve, name="order_resolve"),
    path("orders/<str:code>/cancel/", views.order_cancel, name="order_cancel"),
]

urlpatterns += [
    path("surveys/", views.survey_list, name="surveys"),
    path("surveys/open/", views.survey_open, name="survey_open"),
    path("surveys/<str:code>/", views.survey_detail, name="survey_detail"),
    path("surveys/<str:code>/declare/", views.survey_declare, name="survey_declare"),
    path("surveys/<str:code>/template.xlsx", views.survey_template, name="survey_template"),
    path("surveys/<str:code>/import/", views.survey_import, name="survey_import"),
    path("surveys/<str:code>/return/", views.survey_return, name="survey_return"),
    path("surveys/<str:code>/export.xlsx", views.survey_export, name="survey_export"),
    path("services/<int:pk>/withdraw/", views.service_withdraw, name="service_withdraw"),
    path("services/<int:pk>/decide/", views.service_decide, name="service_decide"),
    path("migrations/<int:pk>/close/", views.migration_close, name="migration_close"),
    path("firms/", views.firms, name="firms"),
    path("firms/apply/", views.firm_apply, name="firm_apply"),
    path("firms/review/", views.firms_review, name="firms_review"),
    path("firms/<int:pk>/decide/", views.firm_decide, name="firm_decide"),
]
