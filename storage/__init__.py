"""The article store: models, engines, migrations and queries (SQLite or PostgreSQL)."""
