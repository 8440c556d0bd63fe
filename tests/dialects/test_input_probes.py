"""No input reaches a 5xx, on SQLite and PostgreSQL alike (issue 6, defect 3).

Each probe is what an attacker (or a sloppy client) sends; each answer is a clear 4xx in
the dialect's envelope, or a plain answer, and nothing is stored.
"""

import pytest

from tests.dialects.conftest import Tenant

LIST = "/api/merchants/{merchant}/invoices"


@pytest.mark.parametrize(
    "query",
    [
        "endDate=9999-12-31",
        "startDate=9999-12-31&endDate=9999-12-31",
        "startDate=0001-01-01",
        "startDate=0001-01-01&endDate=9999-12-31",
    ],
)
def test_list_dates_at_the_ends_of_the_calendar_are_served(tenant: Tenant, query: str) -> None:
    """endDate=9999-12-31 answered 500: the day after it does not exist (date overflow)."""
    answer = tenant.call("paylink", "GET", f"{LIST}?{query}")

    assert answer.status_code == 200, answer.text
    assert answer.json()["totalCount"] == 0
