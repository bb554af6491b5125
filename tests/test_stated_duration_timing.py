"""A duration an order's words give to something else than the order is not the order's length: when to
review or follow up ('Review in 2 weeks', 'f/u 2/52', 'RTC in 2 weeks', 'reassess at 6 weeks'), how long ago
something happened ('strain 3 weeks ago') and how long symptoms have lasted ('symptoms for 3 weeks'). Read by
ConText (rules 'follow-up', 'ago', 'symptom duration': category OTHER_TIMING); a course's maximum (HAM-05,
HAM-06) and a program's minimum (HAM-01) read only the order's own length, and a fix leaves the others as
written. Whole requests: tests/fixtures/hooks/ham05-*review*, *fu-2-52*, *3-weeks-ago*, *rtc-in*."""

from __future__ import annotations

import pytest

from fhir_mappings.stated_durations import longest_stated_days, shortened


@pytest.mark.parametrize(
    ("text", "days"),
    [
        # when to review or follow up
        ("1 tab TDS #21. Review in 2 weeks", None),
        ("1 tab TDS x 5 days. f/u 2/52", 5.0),
        ("Naproxen 500 mg BID x 5 days, RTC in 2 weeks", 5.0),
        ("ibuprofen 400 mg TDS x 5 days; follow-up in 3 weeks", 5.0),
        ("Follow up 2 weeks with GP", None),
        ("reassess at 6 weeks", None),
        ("Review after 2 weeks", None),
        ("Return to clinic in 2 weeks if no better", None),
        ("NWB x 48 hours, recheck in 1 week", 2.0),
        ("next appt 3 weeks", None),
        ("NWB, review in 2 weeks", None),
        # how long ago
        ("Hamstring strain 3 weeks ago. 1 tab TDS x 5 days", 5.0),
        ("injured 10 days ago", None),
        ("Onset 3 wks ago, ibuprofen TDS x 5 days", 5.0),
        # how long symptoms have lasted
        ("Symptoms for 3 weeks; ibuprofen 400 TDS x 5 days", 5.0),
        ("Sx x 2/52. Naproxen BD x 5 days", 5.0),
        # the order's own length still counts beside them
        ("1 tab TDS x 10 days, RTC in 2 weeks", 10.0),
        ("Take for 10 days then review", 10.0),
        ("NWB for 2 weeks then review", 14.0),
        ("Review meds; ibuprofen TDS x 14 days", 14.0),
        ("ibuprofen for pain x 10 days", 10.0),
        ("Bed rest x 7 days, f/u 1/52", 7.0),
    ],
)
def test_a_duration_of_something_else_is_not_the_orders_length(text: str, days: float | None) -> None:
    assert longest_stated_days([text]) == days


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("1 tab TDS x 10 days, review in 2 weeks", "1 tab TDS x 7 days, review in 2 weeks"),
        ("Injured 3 weeks ago. 1 tab TDS x 14 days", "Injured 3 weeks ago. 1 tab TDS x 7 days"),
        ("1 tab TDS x 14 days. f/u 2/52", "1 tab TDS x 7 days. f/u 2/52"),
    ],
)
def test_a_fix_leaves_a_follow_up_or_an_onset_as_written(text: str, fixed: str) -> None:
    assert shortened(text, 7, "7 days") == (fixed, False)


def test_a_program_minimum_reads_its_own_length_not_its_review() -> None:
    assert longest_stated_days(["PT 2x/wk x 6 wks, reassess at 12 weeks"], low=True) == 42.0


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("NWB until review in 2 weeks", 14.0),
        ("Crutches, NWB till f/u 2/52", 14.0),
        ("Bed rest pending follow-up in 1 week", 7.0),
        ("non-weight bearing until next review in 10 days", 10.0),
        ("NWB, until f/u in 2 weeks", 14.0),
    ],
)
def test_an_order_that_lasts_until_the_review_runs_as_long_as_the_review_is_away(text: str, days: float) -> None:
    assert longest_stated_days([text]) == days
