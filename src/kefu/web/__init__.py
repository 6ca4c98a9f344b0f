"""HTTP entry points: JSON API and server-rendered pages; no SQL and no rules here."""
