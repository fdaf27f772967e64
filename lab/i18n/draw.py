"""Strings of the draw page(s)."""

EN: dict[str, str] = {}
KO: dict[str, str] = {}
