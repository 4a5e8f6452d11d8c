"""Menu entries and home panels of the records (filled in with the views)."""
