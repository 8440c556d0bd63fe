"""invoicegate: a self-hosted invoice service speaking several gateway dialects over one core."""
