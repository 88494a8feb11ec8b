"""Wage rules: what worked minutes are worth, by China's calendar and the labour law.

Pure functions over integers (fen, minutes, exact fractions) and dates, with no database:
``rules`` (terms, money, rounding once), ``timeline`` (which minute is plain, extended,
rest-day or holiday), ``holidays`` (the calendar). The payroll builds on them; the tests in
tests/central/test_wages.py and tests/central/test_wage_law.py check them against sums done
by hand. Explained for people in docs/wages.md.
"""
