"""Reads of the process engine, one section per area."""
