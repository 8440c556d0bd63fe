"""Callback delivery: the worker that drains the outbox to merchants' URLs, safely."""
