"""Modules run by the rendered service's own Python (its environment has FastAPI,
SQLAlchemy and the database drivers; the template repository's has none)."""
