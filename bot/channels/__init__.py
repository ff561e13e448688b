"""Channels: thin adapters between users and the advisor core."""
