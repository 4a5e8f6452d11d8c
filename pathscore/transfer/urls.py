from django.urls import path

from pathscore.transfer import views

app_name = "transfer"

urlpatterns = [
    path("", views.ImportIndexView.as_view(), name="index"),
    path("templates/<str:entity>.xlsx", views.TemplateDownloadView.as_view(), name="template"),
    path("batches/<int:pk>/", views.BatchDetailView.as_view(), name="batch-detail"),
    path("batches/<int:pk>/progress/", views.BatchProgressView.as_view(), name="batch-progress"),
    path("batches/<int:pk>/commit/", views.BatchCommitView.as_view(), name="batch-commit"),
]
