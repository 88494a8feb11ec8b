"""sitegate central: ingests gate events over MQTT, stores them once, serves attendance.

Importing this package (or any module below it) needs no environment and no database, and
never loads opencv or dlib: the app is built by factories (:func:`central.api.app.create_app`,
:class:`central.service.CentralService`).
"""
