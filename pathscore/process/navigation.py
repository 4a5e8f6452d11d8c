"""Menu entries and home panels of the process engine, one section per area."""
