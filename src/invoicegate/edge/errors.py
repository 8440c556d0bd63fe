"""Refusals at the HTTP edge, before (or instead of) any use case."""

from collections.abc import Mapping, Sequence

Problem = tuple[str, str]  # (wire field path, reason)


class EdgeError(Exception):
    """A refusal at the HTTP edge, before (or instead of) any use case.

    `problems` details it field by field, `headers` go on the answer (e.g. `Allow`).
    """

    problems: Sequence[Problem] = ()
    headers: Mapping[str, str] = {}


class Unauthorized(EdgeError):
    """Missing, wrong or expired credentials; the answer never says which."""


class BadInput(EdgeError):
    """Wire input that breaks a rule, with one (field path, reason) pair per problem."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(self.problems)


class BodyTooLarge(EdgeError):
    """A request body over the configured limit, declared or counted while reading."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.problems = [("body", f"must be at most {limit} bytes")]
        super().__init__(limit)


class MethodNotAllowed(EdgeError):
    """A known path called with a method it does not serve."""

    def __init__(self, allowed: Sequence[str]) -> None:
        self.headers = {"Allow": ", ".join(allowed)}
        super().__init__(allowed)
