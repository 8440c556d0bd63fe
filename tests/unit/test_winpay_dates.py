"""Winpay's date texts: the fast path for UTC instants writes what the general one writes."""

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from invoicegate.dialects.winpay.translate import JAKARTA, jakarta_iso, jakarta_plain


def reference(moment: datetime) -> str:
    """`created_at` as Winpay writes it: Jakarta's wall time to the second, no offset."""
    return moment.astimezone(JAKARTA).strftime("%Y-%m-%d %H:%M:%S")


# Up to the last instant Jakarta's calendar can still write (the offset adds 7 hours).
instants = st.datetimes(
    min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31, 16, 59, 59, 999999)
)


@given(instants)
def test_a_utc_instant_is_written_as_jakarta_wall_time(naive: datetime) -> None:
    moment = naive.replace(tzinfo=UTC)
    assert jakarta_plain(moment) == reference(moment)


@given(instants, st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_an_instant_with_another_offset_is_the_same_instant_in_jakarta(
    naive: datetime, minutes: int
) -> None:
    moment = naive.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    try:
        expected = reference(moment)
    except OverflowError:
        return  # beyond the calendar in Jakarta: nothing to write
    assert jakarta_plain(moment) == expected


def test_seconds_are_cut_never_rounded_and_early_years_keep_four_digits() -> None:
    assert jakarta_plain(datetime(2023, 10, 25, 7, 12, 14, 999999, tzinfo=UTC)) == (
        "2023-10-25 14:12:14"
    )
    assert jakarta_plain(datetime(2023, 12, 31, 17, 0, tzinfo=UTC)) == "2024-01-01 00:00:00"
    assert jakarta_plain(datetime(999, 1, 1, tzinfo=UTC)) == "0999-01-01 07:00:00"


@given(
    st.lists(
        st.tuples(
            st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9998, 12, 31)),
            st.sampled_from(
                [UTC, UTC, timezone(timedelta(0), "Z"), JAKARTA, timezone(timedelta(seconds=-0.5))]
            ),
            st.integers(min_value=0, max_value=2_000_000),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_response_dates_are_the_instants_second_in_jakarta_whatever_came_before(
    steps: list[tuple[datetime, timezone, int]],
) -> None:
    """The last second's text is kept between answers (a cache): any sequence of instants,
    close together or not, in UTC or not (even an offset with a fraction of a second), is
    written as if none came before."""
    previous: datetime | None = None
    for naive, zone, micros_after in steps:
        moment = (
            naive.replace(tzinfo=zone)
            if previous is None or micros_after > 1_000_000
            else (previous + timedelta(microseconds=micros_after)).astimezone(zone)
        )
        previous = moment
        expected = moment.replace(microsecond=0).astimezone(JAKARTA).isoformat()
        assert jakarta_iso(moment) == expected
