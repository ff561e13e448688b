"""The core: documents become passages, passages become vectors in a store, a question becomes an answer."""
