from django.urls import path

from pathscore.notify import webhook_views as views

app_name = "webhooks"

urlpatterns = [
    path("", views.WebhookListView.as_view(), name="list"),
    path("new/", views.WebhookCreateView.as_view(), name="create"),
    path("<int:pk>/", views.WebhookDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.WebhookUpdateView.as_view(), name="update"),
    path("<int:pk>/deactivate/", views.WebhookDeactivateView.as_view(), name="deactivate"),
    path("<int:pk>/rotate-secret/", views.WebhookRotateSecretView.as_view(), name="rotate"),
    path("<int:pk>/test/", views.WebhookSendTestView.as_view(), name="test"),
    path(
        "deliveries/<int:pk>/redeliver/",
        views.DeliveryRedeliverView.as_view(),
        name="redeliver",
    ),
]
