"""HTTP API (FastAPI): one router per resource under /api/v1, built by create_app."""
