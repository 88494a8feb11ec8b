"""sitegate edge: the gate device (camera → recognizer → outbox → MQTT, turnstile, sensors).

Heavy libraries (opencv, dlib) are imported inside the functions that need them, so the CLI
answers --help at once and tests that do not touch faces never load dlib.
"""

__version__ = "0.1.0"
