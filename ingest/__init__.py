"""feed-ingest: fetch feeds, extract and clean articles, deduplicate them, store them in SQL."""

__version__ = "0.1.0"
