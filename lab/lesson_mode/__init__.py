"""Lesson mode: a lesson as steps a teacher moves the whole class through, predict, run, reveal.

lesson (the lesson file's model: steps, what each shows, its activity), loader (reads and validates
lesson files: TOML with both languages, docs/LESSONS.md) with checks (each value, and the message that
names file, step and field), state (where each class's lesson stands, and
the class's predictions, in the run store), experiment (the Run activity: which half of the class
trains what, lesson runs as ordinary runs), record (what the class predicted and measured; the export).

May import: lab.engine, lab.i18n, lab.runs, lab.classroom, lab.lessons. Checked by tests/test_layering.py.
"""
