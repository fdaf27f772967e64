"""What the pages need that is not Streamlit: forms, URL round trips, the owner token, the CSS.

train_form (widgets <-> RunConfig, messages), insights (what a run's charts show, in words), presence
(owner cookie, open tabs, the teacher's key), style.

May import: lab.engine, lab.i18n, lab.lessons, lab.draw, lab.runs, lab.classroom, lab.figures.
Checked by tests/test_layering.py.
"""
