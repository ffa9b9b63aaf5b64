"""Alembic migrations of Terreau's database (see bot/storage/migrate.py)."""
