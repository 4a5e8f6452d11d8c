"""Forms of the process engine, one section per area."""

from django import forms  # noqa: F401
