"""Printable evidence for a labour dispute: a worker's days, their events, wages and payments."""
