"""The Telegram door: researchers ask the advisor in a chat."""
from .app import build_application, run_telegram

__all__ = ["build_application", "run_telegram"]
