"""teamigrate: Git-integrated, team-first schema migrations for PostgreSQL."""

__version__ = "0.1.0"
