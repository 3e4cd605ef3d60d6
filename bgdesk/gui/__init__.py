"""The desktop window: PySide6 views over the same core as the API and the CLI."""
