"""Persistence: the SQLite database through peewee, and atomic file writes."""
