from django.urls import path

from pdao.products import views

app_name = "products"

urlpatterns = [
    path("", views.market, name="market"),
    path("mine/", views.mine, name="mine"),
    path("all/", views.all_products, name="all"),
    path("new/", views.product_create, name="product_create"),
    path("p/<str:code>/", views.product_detail, name="product_detail"),
    path("p/<str:code>/edit/", views.product_edit, name="product_edit"),
    path("p/<str:code>/test/", views.product_test, name="product_test"),
    path("p/<str:code>/submit/", views.product_submit, name="product_submit"),
    path("p/<str:code>/list/", views.product_list_action, name="product_list"),
    path("p/<str:code>/delist/", views.product_delist, name="product_delist"),
    path("p/<str:code>/takedown/", views.product_delist_by_bureau, name="product_takedown"),
    path("p/<str:code>/cap/", views.product_cap, name="product_cap"),
    path("p/<str:code>/plans/", views.plan_add, name="plan_add"),
    path("p/<str:code>/subscribe/", views.subscribe, name="subscribe"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/security/", views.security_reviews, name="security_reviews"),
    path("reviews/<int:pk>/sign/reviewer/", views.sign_as_reviewer, name="sign_reviewer"),
    path("reviews/<int:pk>/sign/supervisor/", views.sign_as_supervisor, name="sign_supervisor"),
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path("subscriptions/<str:code>/cancel/", views.subscription_cancel, name="subscription_cancel"),
    path("credentials/", views.credentials, name="credentials"),
    path("credentials/<int:pk>/rotate/", views.credential_rotate, name="credential_rotate"),
    path("credentials/<int:pk>/revoke/", views.credential_revoke, name="credential_revoke"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("trace/", views.trace, name="trace"),
    path("register/", views.consumer_register, name="consumer_register"),
    path("new-report/", views.report_create, name="report_create"),
    path("p/<str:code>/editions/", views.edition_generate, name="edition_generate"),
    path("p/<str:code>/editions/progress/", views.edition_progress, name="edition_progress"),
    path("p/<str:code>/report.<str:fmt>", views.edition_download, name="edition_download"),
    path(
        "editions/<int:pk>/review/reviewer/",
        views.edition_review_as_reviewer,
        name="edition_review_reviewer",
    ),
    path(
        "editions/<int:pk>/review/supervisor/",
        views.edition_review_as_supervisor,
        name="edition_review_supervisor",
    ),
    path("editions/<int:pk>/file.<str:fmt>", views.edition_file, name="edition_file"),
]
