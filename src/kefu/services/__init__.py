"""Use cases: one function per user intent, each owning its transaction."""
