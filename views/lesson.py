"""The Lesson page: a student follows the lesson their teacher leads (steps, predictions, runs, the reveal)."""

from ui.lesson import student_page

student_page()
