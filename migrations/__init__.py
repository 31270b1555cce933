"""Alembic migrations of the session database (the only way its schema changes)."""
