"""Collaboration Advisor: quotes the policy that answers a researcher's question."""
