from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination


class BoundedPageNumberPagination(PageNumberPagination):
    """Page numbers with a client-chosen size that can never exceed 200 rows.

    ``page`` and ``page_size`` must be whole numbers in range: anything else is a 400
    naming the parameter (a silently replaced size would hide a client's mistake). A page
    past the last one is a 404.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    # Only numbers: the schema promises an integer.
    last_page_strings = ()

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = _whole_number(raw)
        if size is None or not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("Enter a whole number from 1 to %(max)s.") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        number = _whole_number(raw)
        if number is None or number < 1:
            raise exceptions.ValidationError(
                {self.page_query_param: [_("Enter a page number of 1 or more.")]}
            )
        return number

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
                parameter["description"] = _(
                    "Rows per page, 1 to %(max)s (default %(default)s)."
                ) % {"max": self.max_page_size, "default": self.page_size}
        return parameters


def _whole_number(raw: str) -> int | None:
    """The ASCII digits' value (None for anything else); longer numbers than any page
    count come back as a number past the last page, not as a conversion error."""
    if not (raw.isascii() and raw.isdecimal()):
        return None
    return int(raw) if len(raw) <= 18 else 10**18
