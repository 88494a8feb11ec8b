"""Central → gate: remote config and site gallery sync over MQTT (wireproto/commands.py).

Gates report what they have applied; central answers with what they lack. ``config_push``
keeps each device's desired config by version, ``gallery`` each site's face templates by
version (sealed at rest), ``reports`` what each device last said, and ``channel`` is the MQTT
side that ties them together.
"""
