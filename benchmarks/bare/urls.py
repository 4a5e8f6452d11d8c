"""One endpoint: POST a follow-up, one INSERT, answer its id."""

from django.urls import path
from django.utils.dateparse import parse_datetime
from rest_framework.response import Response
from rest_framework.views import APIView

from pathscore.crm.models import FollowUp


class BareFollowUpCreate(APIView):
    """The same row the product writes, taken as given: the client sends the customer
    and the author, so nothing is looked up, checked or recorded besides the INSERT."""

    def post(self, request):
        data = request.data
        followup = FollowUp.objects.create(
            customer_id=data["customer"],
            project_id=data["project"],
            author_id=data["author"],
            occurred_at=parse_datetime(data["occurred_at"]),
            mode_id=data["mode_id"],
            content=data["content"],
        )
        return Response({"id": followup.pk}, status=201)


urlpatterns = [path("followups/", BareFollowUpCreate.as_view())]
