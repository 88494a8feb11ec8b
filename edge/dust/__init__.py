"""Site dust monitoring on the gate: sensors → window means → alarms, mist cannon, uploads.

- ``sds011``, ``pms5003``: frame parsers that resynchronise and count bad frames;
  ``modbus``: RS485 monitors through pymodbus; ``sensors``: opening any of them by config.
- ``windows``: 1-minute, 15-minute and hourly means with data-quality flags.
- ``profiles`` and ``alarms``: jurisdiction limits, hysteresis and minimum duration.
- ``relay``: the mist cannon output; ``monitor``: the thread that ties it all to the outbox.
- ``hj212``: upload to environmental authorities; ``simulator``: a sensor on a pty.

Nothing here imports opencv or dlib, and the package import itself loads no serial code.
"""
