"""Page-number pagination: ``?page=2&page_size=500`` (at most 1000 rows a page)."""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """Pages of 100 rows by default; clients may ask for up to 1000 with ``page_size``."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
