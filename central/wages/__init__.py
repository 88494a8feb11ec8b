"""Wage rules: what one attendance day is worth, by China's calendar and the labour law.

Pure functions over integers (fen, minutes) and dates, with no database: the payroll builds
on them, and the table-driven tests in tests/test_wages.py check them against sums done by
hand. Explained for people in docs/wages.md.
"""
