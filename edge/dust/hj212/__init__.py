"""HJ 212 uploads of the site's dust data to environmental authorities' platforms.

``codec``: packets (``##`` + length + data segment + CRC16 + CRLF) for the 2017 and 2025
editions; ``store``: the durable queue of packets not yet confirmed; ``uploader``: the TCP
client that sends them and deletes each only on the platform's data reply (CN=9014), and
answers the platform's requests on the same connection (``requests``: get/set time,
real-time data, history extraction from ``history``, the minute and hourly means kept).
Why this runs on the gate and not in central: docs/dust.md.
"""
