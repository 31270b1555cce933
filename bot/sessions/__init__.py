"""Per-person edit history in SQL."""
