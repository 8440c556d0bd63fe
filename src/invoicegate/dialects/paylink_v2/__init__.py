"""Paylink's v2 payment API, the one Paylink's own SDKs speak (DIALECTS.md §3)."""
