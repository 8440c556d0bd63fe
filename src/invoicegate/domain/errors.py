"""Domain errors: what can go wrong in the invoice core, in the domain's words.

Each dialect maps these to its own codes and envelopes; nothing here knows HTTP.
"""


class DomainError(Exception):
    """Base of every error the core raises on purpose."""


class InvalidInput(DomainError):
    """Input breaks a rule; `problems` holds one (field path, message) pair per bad field."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))


class MerchantNotFound(DomainError):
    """No merchant with this id."""


class CredentialNotFound(DomainError):
    """No credential (API key) with this id."""


class InvoiceNotFound(DomainError):
    """No such invoice for this merchant (also for another merchant's invoice)."""


class InvoiceAlreadyPaid(DomainError):
    """A paid invoice never changes."""


class InvoiceCancelled(DomainError):
    """A cancelled (deleted) invoice cannot be changed or paid."""


class InvoiceExpired(DomainError):
    """The invoice's validity has passed: it can no longer be paid."""


class DuplicateReference(DomainError):
    """Another live invoice of the same merchant already carries this reference."""


class StaleVersion(DomainError):
    """The caller's expected version is not the invoice's current one."""

    def __init__(self, current_version: int) -> None:
        self.current_version = current_version
        super().__init__(f"invoice is at version {current_version}")


class AmountMismatch(DomainError):
    """A paid amount that is not the invoice total."""

    def __init__(self, total: int) -> None:
        self.total = total
        super().__init__(f"the payment must be the whole total, {total}")


class IdempotencyKeyReused(DomainError):
    """An idempotency key sent again with another request than the one it was first sent with."""


class IdempotencyRequestInProgress(DomainError):
    """An idempotency key sent again while the first request with it is still running."""


class IdempotencyKeyTaken(DomainError):
    """A concurrent request claimed the same idempotency key first (retried, never shown)."""


class CallbackJobNotFound(DomainError):
    """No callback job with this id."""


class CallbackJobPending(DomainError):
    """The job is still being delivered; only a delivered or failed one can be redelivered."""


class WebhookEndpointNotFound(DomainError):
    """No webhook endpoint with this id for this merchant (also another merchant's)."""


class TooManyWebhookEndpoints(DomainError):
    """The merchant has as many webhook endpoints as one may have."""
