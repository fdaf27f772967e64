"""Strings of the lessons page(s)."""

EN: dict[str, str] = {}
KO: dict[str, str] = {}
