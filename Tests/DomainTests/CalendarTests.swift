import Foundation
import Testing

@testable import Domain

@Suite("Production calendar")
struct CalendarTests {
    /// The shipped years, as in Resources/Calendar/production-calendar.json (checked there against
    /// the `holidays` package).
    static let calendar: ProductionCalendar = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Resources/Calendar/production-calendar.json")
        return try! ProductionCalendarFile.parse(Data(contentsOf: url))
    }()

    func day(_ text: String) -> LocalDate { LocalDate(iso: text)! }

    @Test func datesCountAndParse() {
        #expect(day("1970-01-01").dayNumber == 0)
        #expect(LocalDate(dayNumber: day("2026-11-23").dayNumber) == day("2026-11-23"))
        #expect(day("2026-11-23").weekday == 1, "a Monday")
        #expect(day("2028-02-28").adding(days: 1) == day("2028-02-29"))
        #expect(LocalDate(iso: "2027-02-29") == nil)
        #expect(LocalDate(iso: "2026-13-01") == nil)
    }

    @Test func newYearHolidaysAreSkipped() {
        let c = Self.calendar
        // Registered on 30 December 2025: 31 Dec and 1–11 Jan are days off, so 3 working days end on 14 Jan.
        #expect(c.lastDay(from: day("2025-12-30"), days: 3, type: .working) == day("2026-01-14"))
        // A 10-calendar-day term from 29 Dec 2026 would end on 8 Jan 2027 (a holiday): moved to Monday 11 Jan.
        #expect(c.lastDay(from: day("2026-12-29"), days: 10, type: .calendar) == day("2027-01-11"))
        #expect(!c.isWorkingDay(day("2026-01-09")), "moved from Saturday 3 January")
    }

    @Test func mayHolidaysAreSkipped() {
        let c = Self.calendar
        // 2025: 1–4 and 8–11 May are days off.
        #expect(c.lastDay(from: day("2025-04-30"), days: 1, type: .working) == day("2025-05-05"))
        #expect(c.lastDay(from: day("2025-05-07"), days: 1, type: .working) == day("2025-05-12"))
        // 2026: a calendar term ending on Sunday 10 May moves past Monday 11 May (Victory Day observed).
        #expect(c.lastDay(from: day("2026-04-10"), days: 30, type: .calendar) == day("2026-05-12"))
    }

    @Test func aTransferredWorkingSaturdayCounts() {
        let c = Self.calendar
        #expect(c.isWorkingDay(day("2025-11-01")))
        // Friday 31 Oct 2025 + 1 working day is Saturday 1 November, not Monday 3 November (a day off).
        #expect(c.lastDay(from: day("2025-10-31"), days: 1, type: .working) == day("2025-11-01"))
        #expect(c.lastDay(from: day("2025-10-31"), days: 2, type: .working) == day("2025-11-05"))
        #expect(c.isWorkingDay(day("2027-02-20")))
        #expect(!c.isWorkingDay(day("2027-02-22")))
    }

    @Test func aYearWithoutADecreeFallsBackToTheLabourCode() {
        let c = Self.calendar
        #expect(!c.isWorkingDay(day("2028-01-03")))
        #expect(!c.isWorkingDay(day("2028-06-12")))
        // 2028: 8 March is a Wednesday; 23 February a Wednesday; 9 May a Tuesday; 4 November a Saturday → 6 November.
        #expect(!c.isWorkingDay(day("2028-11-06")))
        #expect(c.isWorkingDay(day("2028-11-07")))
    }

    @Test func dueIsTheEndOfTheLastDayInTheRegion() throws {
        let c = Self.calendar
        // 14:00 Volgograd (UTC+3) on Friday 20 November 2026; 3 working days → Wednesday 25 November 23:59:59.
        let start = try #require(ISO8601DateFormatter().date(from: "2026-11-20T11:00:00Z"))
        let due = c.due(from: start, days: 3, type: .working)
        #expect(ISO8601DateFormatter().string(from: due) == "2026-11-25T20:59:59Z")
    }

    @Test func aYearFileIsCheckedBeforeUse() {
        let bad = ProductionCalendar.Year(
            year: 2026, daysOff: [LocalDate(2026, 1, 3), LocalDate(2025, 12, 31)], workingDays: [LocalDate(2026, 1, 12)])
        #expect(
            ProductionCalendar.check(bad) == [
                .dayOffOnWeekend(LocalDate(2026, 1, 3)), .dateOutsideYear(LocalDate(2025, 12, 31)),
                .workingDayOnWeekday(LocalDate(2026, 1, 12)),
            ])
        #expect(Self.calendar.years.values.allSatisfy { ProductionCalendar.check($0).isEmpty })
    }
}
