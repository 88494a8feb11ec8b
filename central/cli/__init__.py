"""``sitegate-central``: the command line (app.py) and its command groups, one module each."""
