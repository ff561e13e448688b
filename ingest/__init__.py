"""Ingestion: files -> documents -> passages -> a published knowledge version."""
