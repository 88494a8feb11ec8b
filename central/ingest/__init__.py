"""MQTT ingest: consumer → bounded queue → batching writer → acks.

The consumer thread only enqueues; when the queue is full it blocks, paho stops reading the
socket, and TCP pushes back on the broker: memory stays bounded however large the backlog.
"""
