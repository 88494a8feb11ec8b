"""Arrears warnings (关键指标预警, the wage part): each a severity, a subject, the evidence and a
state (open → handled with a note). ``store`` keeps them; ``indicators`` finds them.
"""
