"""Classes: a teacher's class, its members, limits and challenge, and the class board's data.

classes (a class and its members in the store), text (join codes, teacher keys, nicknames, links) and
board (every member's runs folded for the board).

May import: lab.engine, lab.i18n, lab.runs. Checked by tests/test_layering.py.
"""
