"""The local dashboard: the marts as charts on one page (`backbeat dashboard`)."""
