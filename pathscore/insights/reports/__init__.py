"""The insights' reports (报表): node completion, evaluation, follow-up log, delays and
collaboration.

Each report reads the shared :class:`~pathscore.insights.filters.Slice` (or, for the
evaluation, an appraisal period), aggregates in SQL through ``reports.selectors``, renders
one printable page and exports the same figures to a streamed .xlsx (``reports.sheets``).
"""
