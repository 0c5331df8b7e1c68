"""The shipped production calendar agrees with PyPI's `holidays` package (shared/domain.md §3): every
weekday off and every working weekend day of each shipped year. No browser or server needed."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import holidays

CALENDAR = Path(__file__).resolve().parents[2] / "Resources" / "Calendar" / "production-calendar.json"


def published(year: int) -> tuple[set[datetime.date], set[datetime.date]]:
    """Weekdays off, and weekend days made working (a day off «substituted from» a weekend day that is
    not itself a holiday)."""
    ru = holidays.country_holidays("RU", years=year)
    off = {day for day in ru if day.weekday() < 5}
    working = set()
    for day, name in ru.items():
        if "substituted from" in name:
            source = datetime.datetime.strptime(name.split("substituted from ")[1].rstrip(")"), "%m/%d/%Y").date()
            if source.weekday() >= 5 and source not in ru:
                working.add(source)
    return off, working


def test_shipped_years_match_the_holidays_package() -> None:
    years = json.loads(CALENDAR.read_text(encoding="utf-8"))["years"]
    assert sorted(y["year"] for y in years) == [2025, 2026, 2027]
    for year in years:
        off, working = published(year["year"])
        assert {datetime.date.fromisoformat(d) for d in year["daysOff"]} == off, year["year"]
        assert {datetime.date.fromisoformat(d) for d in year["workingDays"]} == working, year["year"]
