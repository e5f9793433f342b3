from django.urls import path

from pdao.showcase import views

app_name = "showcase"

urlpatterns = [
    path("", views.home, name="home"),
    path("scenarios/", views.scenario_list, name="scenarios"),
    path("s/<str:code>/", views.scenario_detail, name="scenario"),
    path("s/<str:code>/case/", views.scenario_case, name="scenario_case"),
    path("s/<str:code>/images/", views.scenario_image_add, name="scenario_image_add"),
    path("s/<str:code>/nominate/", views.scenario_nominate, name="scenario_nominate"),
    path("images/<int:pk>.png", views.scenario_image, name="scenario_image"),
    path("images/<int:pk>/remove/", views.scenario_image_remove, name="scenario_image_remove"),
    path("nominations/", views.nomination_list, name="nominations"),
    path("n/<str:code>/", views.nomination_detail, name="nomination"),
    path("n/<str:code>/score/", views.nomination_score, name="nomination_score"),
    path("n/<str:code>/recuse/", views.nomination_recuse, name="nomination_recuse"),
    path("n/<str:code>/withdraw/", views.nomination_withdraw, name="nomination_withdraw"),
    path("n/<str:code>/decide/", views.nomination_decide, name="nomination_decide"),
    path("n/<str:code>/package/", views.nomination_package, name="nomination_package"),
    path(
        "n/<str:code>/package.<str:fmt>",
        views.nomination_package_file,
        name="nomination_package_file",
    ),
    path("criteria/", views.criteria, name="criteria"),
    path("criteria/publish/", views.criteria_publish, name="criteria_publish"),
    path("criteria/stewards/", views.steward_set, name="steward_set"),
]
