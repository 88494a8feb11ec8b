"""The demo: central + embedded broker + one simulated gate on real photos, on one machine."""
