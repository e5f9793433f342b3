from django.urls import path

from pdao.ledger import views

app_name = "ledger"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("entries/<int:position>/", views.entry_detail, name="entry_detail"),
    path("entries/<int:position>/receipt.json", views.entry_receipt, name="entry_receipt"),
    path("checkpoints/", views.checkpoint_list, name="checkpoint_list"),
    path("checkpoints/publish/", views.publish, name="publish"),
    path("verify/", views.verify, name="verify"),
    path("keys/", views.public_keys, name="keys"),
]
