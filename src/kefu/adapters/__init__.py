"""Adapters: the outside world behind small interfaces."""
