from rest_framework.pagination import PageNumberPagination


class BoundedPageNumberPagination(PageNumberPagination):
    """Page numbers with a client-chosen size that can never exceed 200 rows."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
