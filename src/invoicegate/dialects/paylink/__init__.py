"""Paylink's merchant invoices API (seed: shared/seeds/paylink-update-invoice.txt, §2)."""
