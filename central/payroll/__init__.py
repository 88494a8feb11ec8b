"""Payroll: monthly batches per project, one line per worker, paid card by card.

States: draft → approved → submitted → paid | partially_paid. Every step records who and
when in ``payroll_log``; money is integer fen throughout.
"""
