"""Winpay's Checkout Page API (seed: shared/seeds/winpay-update-invoice.txt, DIALECTS.md §1)."""
