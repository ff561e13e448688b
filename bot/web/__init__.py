"""The web door: a JSON API, the chat widget staff embed in an intranet page, and admin endpoints."""
from .app import create_app

__all__ = ["create_app"]
