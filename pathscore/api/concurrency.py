"""ETag and If-Match for the records several people edit.

Reads and writes of such a record answer with ``ETag: W/"<revision>"``. A PUT or PATCH
that sends ``If-Match`` with an older tag is refused with 412 Precondition Failed, before
anything is validated or saved; the same happens when another save slips in between.
Without ``If-Match`` the write is accepted as before (clients SHOULD send it). The
revision number is what is compared, so ``"3"`` and ``W/"3"`` both match revision 3.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, status

from pathscore.api.errors import ErrorSerializer
from pathscore.core.concurrency import StaleRevision

_TAG = re.compile(r'\s*(?:W/)?"([^"]*)"\s*')


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy("The record changed since you fetched it.")
    default_code = "precondition_failed"


def etag(revision: int) -> str:
    return f'W/"{revision}"'


def expected_revision(request, current: int) -> int | None:
    """The revision the client's ``If-Match`` vouches for; None without the header.

    A tag other than the current revision (or an unreadable header) fails at once;
    a matching one still goes to the service, which refuses a save that lost a race.
    """
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    tags = {match.group(1) for match in _TAG.finditer(header)}
    if str(current) not in tags:
        raise PreconditionFailed(
            _("The record is now at revision %(revision)s; fetch it again and retry.")
            % {"revision": current}
        )
    return current


class RevisionedViewSetMixin:
    """For a ``ServiceModelViewSet`` of ``Revisioned`` records: ETag on every answer that
    carries one record, If-Match on updates. ``update_object`` receives the revision the
    client vouched for as ``self.expected_revision`` (None when it sent no If-Match)."""

    expected_revision: int | None = None

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        return self._tagged(response)

    def create(self, request, *args, **kwargs):
        return self._tagged(super().create(request, *args, **kwargs))

    def update(self, request, *args, **kwargs):
        try:
            response = super().update(request, *args, **kwargs)
        except StaleRevision as error:
            raise PreconditionFailed(" ".join(error.messages)) from None
        return self._tagged(response)

    def get_object(self):
        instance = super().get_object()
        if self.request.method in ("PUT", "PATCH"):
            self.expected_revision = expected_revision(self.request, instance.revision)
        return instance

    @staticmethod
    def _tagged(response):
        revision = response.data.get("revision") if isinstance(response.data, dict) else None
        if revision is not None:
            response["ETag"] = etag(revision)
        return response


_ETAG_HEADER = OpenApiParameter(
    "ETag",
    type=str,
    location=OpenApiParameter.HEADER,
    response=[200, 201],
    description='The record\'s revision, e.g. W/"3"; send it back in If-Match.',
)
_IF_MATCH = OpenApiParameter(
    "If-Match",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "The ETag of the version you edited. Optional, but clients SHOULD send it: "
        "a stale one is refused with 412 and nothing is saved."
    ),
)
_STALE = OpenApiResponse(
    ErrorSerializer, description="Someone else changed the record (stale If-Match)."
)


def revisioned_schema(serializer):
    """Declare the ETag header, If-Match and the 412 on a revisioned viewset's schema."""
    read = extend_schema(parameters=[_ETAG_HEADER], responses={200: serializer})
    write = extend_schema(
        parameters=[_IF_MATCH, _ETAG_HEADER], responses={200: serializer, 412: _STALE}
    )
    return extend_schema_view(
        retrieve=read,
        create=extend_schema(parameters=[_ETAG_HEADER], responses={201: serializer}),
        update=write,
        partial_update=write,
    )
