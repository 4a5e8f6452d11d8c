"""Views of the records: customers."""

urlpatterns = []
