"""``sitegate-edge``: the gate's command line (app.py) and its subcommands, one module each."""
