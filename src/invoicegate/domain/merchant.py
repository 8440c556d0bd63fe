"""Merchants and the credentials through which they speak to us, one dialect each."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Merchant:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Credential:
    """A dialect's way in for one merchant: a public id plus a secret we keep or verify.

    `secret` is the plain secret for dialects that sign with it (Winpay's HMAC); dialects
    that only present a key keep just its hash, so `secret` is None there.
    """

    id: str
    merchant_id: str
    dialect: str
    public_id: str
    secret: str | None = field(repr=False)  # never printed, so never logged by accident
    secret_hash: str | None = field(repr=False)
    display_name: str
    callback_url: str | None
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def shown_id(self) -> str:
        """The id a person may see: the public id, unless that is the key's hash."""
        return self.id if self.public_id == self.secret_hash else self.public_id
