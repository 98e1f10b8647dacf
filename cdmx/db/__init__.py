"""Storage: tables, the engine (SQLite pragmas or PostgreSQL), migrations."""
