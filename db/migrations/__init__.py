"""Alembic migrations of the platform database (see db/migrate.py)."""
