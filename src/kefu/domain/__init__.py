"""Pure domain rules: no database, no web, no clock — only stdlib and our own types."""
