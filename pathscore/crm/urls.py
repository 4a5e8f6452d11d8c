"""The records' URLs: each views module declares its own patterns."""

from pathscore.crm.views import contracts, customers, documents, followups, projects

app_name = "crm"

urlpatterns = [
    *customers.urlpatterns,
    *projects.urlpatterns,
    *followups.urlpatterns,
    *documents.urlpatterns,
    *contracts.urlpatterns,
]
