"""Tables of the records, one section per sub-domain."""
