"""Forms of the records, one section per sub-domain."""

from django import forms  # noqa: F401
