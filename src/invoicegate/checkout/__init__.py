"""The hosted checkout page: where a payment link leads, and where a customer pays."""
