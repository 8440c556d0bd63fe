"""Wire dialects: one folder per gateway API, each a thin adapter over the invoice core."""
