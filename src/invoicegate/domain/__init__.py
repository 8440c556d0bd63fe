"""The invoice core: plain Python rules with no framework, database or HTTP in it."""
