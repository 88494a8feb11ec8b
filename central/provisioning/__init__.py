"""Device identities at the broker: MQTT accounts, Mosquitto password and ACL files.

The HMAC secret proves who wrote an event; the broker account decides who may publish where.
Both are made by ``sitegate-central devices add``; ``devices broker-files`` renders what
Mosquitto needs from the database, so the broker's view of who may connect is regenerated,
never edited by hand (docs/security.md).
"""
