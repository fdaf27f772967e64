"""Strings of the train page(s)."""

EN: dict[str, str] = {}
KO: dict[str, str] = {}
