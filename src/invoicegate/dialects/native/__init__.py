"""invoicegate's own REST API v1: API keys, safe updates, one history (DIALECTS.md §4)."""
