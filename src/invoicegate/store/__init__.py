"""Persistence: tables, row mapping, units of work and migrations, for SQLite and PostgreSQL."""
