"""Working days, working slots across DST, and reminder rendering."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from followup_sync.config import Schedule
from followup_sync.errors import ConfigError
from followup_sync.schedule import (
    add_business_days,
    format_local,
    last_slot_before,
    next_slot,
    overdue_expired,
    reminder_for,
)
from tests.factories import JANE, ZONE, at, followup

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
S = Schedule()


def local(moment: datetime, zone: ZoneInfo = NY) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


class TestBusinessDays:
    def test_skips_weekend(self) -> None:
        # Friday 2026-11-27 + 1 business day = Monday 11-30
        assert add_business_days(date(2026, 11, 27), 1, S) == date(2026, 11, 30)

    def test_zero_on_weekend_moves_to_monday(self) -> None:
        assert add_business_days(date(2026, 11, 28), 0, S) == date(2026, 11, 30)
        assert add_business_days(date(2026, 11, 25), 0, S) == date(2026, 11, 25)

    def test_skips_holidays(self) -> None:
        schedule = replace(S, holidays=(date(2026, 11, 26), date(2026, 11, 27)))  # Thanksgiving + Friday
        assert add_business_days(date(2026, 11, 25), 1, schedule) == date(2026, 11, 30)
        assert add_business_days(date(2026, 11, 25), 3, schedule) == date(2026, 12, 2)

    def test_public_holidays_of_the_configured_country(self) -> None:
        # US 2026: Thanksgiving Thu 11-26 (the Friday after is not a federal holiday); Christmas Fri 12-25
        us = replace(S, country="US")
        assert add_business_days(date(2026, 11, 25), 1, us) == date(2026, 11, 27)
        assert add_business_days(date(2026, 12, 24), 1, us) == date(2026, 12, 28)
        # Scotland: 2 January is a holiday too, and Saturday's is observed on Monday 2027-01-04
        scotland = replace(S, country="GB", subdivision="SCT")
        assert add_business_days(date(2026, 12, 31), 1, scotland) == date(2027, 1, 5)
        # listed days still count on top of the country's
        listed = replace(us, holidays=(date(2026, 11, 27),))
        assert add_business_days(date(2026, 11, 25), 1, listed) == date(2026, 11, 30)

    def test_an_unknown_country_is_a_config_error(self) -> None:
        with pytest.raises(ConfigError, match=r"schedule\.country/subdivision"):
            add_business_days(date(2026, 11, 25), 1, replace(S, country="ZZ"))
        with pytest.raises(ConfigError, match="'XX' is not a subdivision of 'US'"):
            add_business_days(date(2026, 11, 25), 1, replace(S, country="US", subdivision="XX"))

    def test_negative_goes_back(self) -> None:
        assert add_business_days(date(2026, 11, 30), -1, S) == date(2026, 11, 27)

    def test_custom_week(self) -> None:
        sun_to_thu = replace(S, working_days=(6, 0, 1, 2, 3))
        assert add_business_days(date(2026, 11, 26), 1, sun_to_thu) == date(2026, 11, 29)

    def test_no_working_day_is_an_error(self) -> None:
        schedule = replace(S, working_days=(0,), holidays=())
        assert add_business_days(date(2026, 11, 23), 1, schedule) == date(2026, 11, 30)
        with pytest.raises(ValueError, match="working_days"):
            add_business_days(date(2026, 11, 23), 1, replace(S, working_days=()))


class TestNextSlot:
    def test_inside_hours_is_unchanged_but_rounded_up_to_the_minute(self) -> None:
        moment = at("2026-11-24 10:15") + (at("2026-11-24 10:00:30") - at("2026-11-24 10:00"))
        assert local(next_slot(moment, schedule=S, tz=NY)) == "2026-11-24 10:16 EST"

    def test_before_hours_goes_to_day_start(self) -> None:
        assert local(next_slot(at("2026-11-24 06:00"), schedule=S, tz=NY)) == "2026-11-24 09:00 EST"

    def test_after_hours_goes_to_next_business_day(self) -> None:
        assert local(next_slot(at("2026-11-27 17:30"), schedule=S, tz=NY)) == "2026-11-30 09:00 EST"

    def test_reminder_must_fit_before_day_end(self) -> None:
        assert local(next_slot(at("2026-11-24 17:20"), schedule=S, tz=NY, minutes=15)) == "2026-11-25 09:00 EST"
        assert local(next_slot(at("2026-11-24 17:15"), schedule=S, tz=NY, minutes=15)) == "2026-11-24 17:15 EST"

    def test_holiday_skipped(self) -> None:
        schedule = replace(S, holidays=(date(2026, 12, 25),))
        assert local(next_slot(at("2026-12-24 18:00"), schedule=schedule, tz=NY)) == "2026-12-28 09:00 EST"

    def test_new_york_spring_forward_weekend(self) -> None:
        # DST starts Sunday 2027-03-14 in the US: Friday evening -> Monday 09:00 EDT (13:00 UTC, not 14:00)
        slot = next_slot(at("2027-03-12 18:00"), schedule=S, tz=NY)
        assert slot == datetime(2027, 3, 15, 13, 0, tzinfo=UTC)
        assert local(slot) == "2027-03-15 09:00 EDT"

    def test_gap_start_shifts_forward(self) -> None:
        # a working day starting at 02:30 on the spring-forward Sunday: 02:30 does not exist -> 03:30 EDT
        schedule = replace(S, working_days=(6,), day_start=time(2, 30), day_end=time(5, 0))
        slot = next_slot(datetime(2027, 3, 14, 5, 0, tzinfo=UTC), schedule=schedule, tz=NY)
        assert local(slot) == "2027-03-14 03:30 EDT"

    def test_fall_back_ambiguous_start_uses_first(self) -> None:
        # US DST ends Sunday 2026-11-01: 01:30 happens twice; the first (EDT, 05:30 UTC) is used
        schedule = replace(S, working_days=(6,), day_start=time(1, 30), day_end=time(4, 0))
        slot = next_slot(datetime(2026, 11, 1, 0, 0, tzinfo=UTC), schedule=schedule, tz=NY)
        assert slot == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)

    def test_berlin_fall_back(self) -> None:
        # Europe ends DST Sunday 2026-10-25: Monday 09:00 is CET (08:00 UTC), Friday before was CEST (07:00 UTC)
        friday = next_slot(datetime(2026, 10, 23, 6, 0, tzinfo=UTC), schedule=S, tz=BERLIN)
        monday = next_slot(datetime(2026, 10, 23, 17, 0, tzinfo=UTC), schedule=S, tz=BERLIN)
        assert friday == datetime(2026, 10, 23, 7, 0, tzinfo=UTC)
        assert monday == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)

    def test_berlin_spring_forward(self) -> None:
        monday = next_slot(datetime(2027, 3, 27, 12, 0, tzinfo=UTC), schedule=S, tz=BERLIN)
        assert monday == datetime(2027, 3, 29, 7, 0, tzinfo=UTC)  # 09:00 CEST

    def test_day_end_at_midnight(self) -> None:
        late = replace(S, day_start=time(20, 0), day_end=time(0, 0))
        assert local(next_slot(at("2026-11-24 23:10"), schedule=late, tz=NY)) == "2026-11-24 23:10 EST"

    def test_last_slot_before(self) -> None:
        slot = last_slot_before(at("2026-11-24 09:30"), schedule=S, tz=NY, minutes=15)
        assert slot is not None and local(slot) == "2026-11-24 09:15 EST"
        earlier = last_slot_before(at("2026-11-30 09:00"), schedule=S, tz=NY, minutes=15)  # Monday 9:00
        assert earlier is not None and local(earlier) == "2026-11-27 17:15 EST"


NOW = at("2026-11-23 08:00")  # Monday morning


class TestReminderFor:
    def test_appointment_at_stated_time(self) -> None:
        r = reminder_for(followup(due="2026-11-25 14:00"), schedule=S, tz=NY, now=NOW)
        assert local(r.start) == "2026-11-25 14:00 EST"
        assert local(r.end) == "2026-11-25 14:15 EST"
        assert r.subject == "Call jane@acme.com - Q3 pricing"
        assert not r.overdue and r.timezone == "America/New_York"
        assert r.key == followup().key and r.link == "https://mail.example/origin"

    def test_deadline_with_time_leads_by_configured_hours(self) -> None:
        f = followup(due="2026-11-27 17:00", deadline=True, channel="email")
        assert local(reminder_for(f, schedule=S, tz=NY, now=NOW).start) == "2026-11-27 15:00 EST"

    def test_early_deadline_moves_to_previous_evening_not_past_it(self) -> None:
        f = followup(due="2026-11-24 09:30", deadline=True)  # lead of 2h would be 07:30, before hours
        assert local(reminder_for(f, schedule=S, tz=NY, now=NOW).start) == "2026-11-24 09:00 EST"
        f = followup(due="2026-11-24 09:00", deadline=True)
        assert local(reminder_for(f, schedule=S, tz=NY, now=NOW).start) == "2026-11-23 17:15 EST"

    def test_date_only_lands_at_day_start(self) -> None:
        f = followup(due="2026-11-26 09:00", has_time=False, deadline=True)
        assert local(reminder_for(f, schedule=S, tz=NY, now=NOW).start) == "2026-11-26 09:00 EST"

    def test_date_only_on_weekend_moves_to_monday(self) -> None:
        f = followup(due="2026-11-28 09:00", has_time=False)
        assert local(reminder_for(f, schedule=S, tz=NY, now=NOW).start) == "2026-11-30 09:00 EST"

    def test_not_before_pushes_later(self) -> None:
        f = followup(due="2026-11-24 09:00", has_time=False, not_before=at("2026-12-01 12:00"))
        assert local(reminder_for(f, schedule=S, tz=NY, now=NOW).start) == "2026-12-01 12:00 EST"

    def test_overdue_goes_to_next_full_hour_slot_and_says_so(self) -> None:
        f = followup(due="2026-11-20 14:00")  # last Friday
        now = at("2026-11-23 10:20")
        r = reminder_for(f, schedule=S, tz=NY, now=now)
        assert r.overdue and r.subject.startswith("OVERDUE: Call")
        assert local(r.start) == "2026-11-23 11:00 EST"
        # a pass five minutes later renders the very same item: no churn in the calendar
        assert reminder_for(f, schedule=S, tz=NY, now=at("2026-11-23 10:25")) == r

    def test_overdue_at_night_waits_for_morning(self) -> None:
        f = followup(due="2026-11-20 14:00")
        r = reminder_for(f, schedule=S, tz=NY, now=at("2026-11-23 22:10"))
        assert local(r.start) == "2026-11-24 09:00 EST"

    def test_overdue_stays_on_its_day_then_is_carried_to_the_next_working_morning_once(self) -> None:
        f = followup(due="2026-11-20 14:00")  # Friday 14:00; first seen Monday 10:20
        shown = reminder_for(f, schedule=S, tz=NY, now=at("2026-11-23 10:20")).start  # Monday 11:00
        for later in ("2026-11-23 11:30", "2026-11-23 17:29"):  # its time passed, its day is not over
            r = reminder_for(f, schedule=S, tz=NY, now=at(later), shown=shown)
            assert r.start == shown and r.overdue
        for evening in ("2026-11-23 17:30", "2026-11-23 23:00", "2026-11-24 08:59"):
            assert local(reminder_for(f, schedule=S, tz=NY, now=at(evening), shown=shown).start) == (
                "2026-11-24 09:00 EST"
            )
        # not running overnight: carried to the next full working hour instead
        late = reminder_for(f, schedule=S, tz=NY, now=at("2026-11-24 10:20"), shown=shown)
        assert local(late.start) == "2026-11-24 11:00 EST"

    def test_a_reminder_not_yet_carried_is_left_alone_on_its_day(self) -> None:
        f = followup(due="2026-11-23 14:00")
        planned = reminder_for(f, schedule=S, tz=NY, now=NOW)
        later = reminder_for(f, schedule=S, tz=NY, now=at("2026-11-23 15:00"), shown=planned.start)
        assert later == planned and not later.overdue  # same content: nothing is written at 14:01
        evening = reminder_for(f, schedule=S, tz=NY, now=at("2026-11-23 18:00"), shown=planned.start)
        assert local(evening.start) == "2026-11-24 09:00 EST" and evening.subject.startswith("OVERDUE: ")
        # a promise for a call after hours is carried at midnight, to the next morning
        g = followup(due="2026-11-23 19:00")
        at_seven = reminder_for(g, schedule=S, tz=NY, now=NOW).start
        assert reminder_for(g, schedule=S, tz=NY, now=at("2026-11-23 23:30"), shown=at_seven).start == at_seven
        assert local(reminder_for(g, schedule=S, tz=NY, now=at("2026-11-24 00:05"), shown=at_seven).start) == (
            "2026-11-24 09:00 EST"
        )

    @pytest.mark.parametrize(
        ("days", "alive", "gone"),
        [
            (
                5,
                "2026-11-27 17:29",
                "2026-11-27 17:30",
            ),  # Friday 20 + 5 working days (Thanksgiving is not a holiday here)
            (0, "2026-11-20 17:29", "2026-11-20 17:30"),
            (1, "2026-11-23 17:29", "2026-11-23 17:30"),
        ],
    )
    def test_overdue_expires_after_overdue_days_working_days(self, days: int, alive: str, gone: str) -> None:
        f = followup(due="2026-11-20 14:00")
        sched = replace(S, overdue_days=days)
        assert not overdue_expired(f, schedule=sched, tz=NY, now=at(alive))
        assert overdue_expired(f, schedule=sched, tz=NY, now=at(gone))
        # a reminder the rep moved counts from the rep's time
        assert not overdue_expired(f, schedule=sched, tz=NY, now=at(gone), since=at("2026-11-26 10:00"))
        assert not overdue_expired(f, schedule=sched, tz=NY, now=at("2026-11-19 10:00"))  # not yet due

    def test_text_does_not_depend_on_now(self) -> None:
        f = followup(due="2026-12-02 14:00")
        a = reminder_for(f, schedule=S, tz=NY, now=NOW)
        b = reminder_for(f, schedule=S, tz=NY, now=at("2026-11-30 16:00"))
        assert a.content_hash() == b.content_hash()

    def test_body_has_evidence_thread_contacts_due_link(self) -> None:
        r = reminder_for(followup(), schedule=S, tz=NY, now=NOW)
        assert r.body.splitlines()[0] == f"You promised to call {JANE}."
        assert "You wrote: “I'll call you Wednesday at 2pm.”" in r.body
        assert "Thread: Q3 pricing" in r.body
        assert f"Contacts: {JANE}" in r.body
        assert "Due: Wed 25 Nov 2026 14:00 EST" in r.body
        assert "Open the mail: https://mail.example/origin" in r.body

    @pytest.mark.parametrize(
        ("kind", "expected"),
        [
            ("awaiting_reply", "No reply from jane@acme.com +1 - Q3 pricing"),
            ("meeting_recap", "Send recap to jane@acme.com +1 - Q3 pricing"),
            ("after_sale", "Check in with jane@acme.com +1 - Q3 pricing"),
            ("unanswered_inbound", "Answer jane@acme.com +1 - Q3 pricing"),
        ],
    )
    def test_subjects_per_kind(self, kind: str, expected: str) -> None:
        f = followup(kind, contacts=(JANE, "bob@acme.com"), channel=None)  # type: ignore[arg-type]
        assert reminder_for(f, schedule=S, tz=NY, now=NOW).subject == expected

    def test_attempt_is_shown(self) -> None:
        f = followup("awaiting_reply", attempt=3, has_time=False)
        r = reminder_for(f, schedule=S, tz=NY, now=NOW)
        assert r.subject.endswith("(try 3)") and "follow-up number 3" in r.body
        last = reminder_for(f, schedule=S, tz=NY, now=NOW, max_touches=3)
        assert last.subject.endswith("(last try)")

    def test_long_evidence_is_clipped(self) -> None:
        r = reminder_for(followup(evidence="word " * 100), schedule=S, tz=NY, now=NOW)
        quoted = next(line for line in r.body.splitlines() if line.startswith("You wrote: “"))
        assert len(quoted.removeprefix("You wrote: ")) <= 202 and quoted.endswith("…”")

    def test_date_only_due_shown_without_time(self) -> None:
        assert format_local(at("2026-11-26 09:00"), tz=ZONE, with_time=False) == "Thu 26 Nov 2026"
