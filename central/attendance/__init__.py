"""Attendance between storage and payroll: day rules, periods, closing, and the one refresh.

Events (written by ingest) become attendance days here; payroll and the warnings read days
and never derive them. See refresh.py for when days are refreshed.
"""
