/// Counting the consumer law's terms. They are calendar days (domain.md §4); a term in days starts the
/// day after the event (ГК РФ ст. 191) and a term in months ends on the same date of the last month, or
/// that month's last day when it has no such date (ст. 192). With a production calendar, a term ending on
/// a day off moves to the next working day (ст. 193); without one, weekends and holidays are not skipped.
public enum ClaimTerms {
    /// The last day of a term of `days` calendar days that follows `event`.
    public static func lastDay(after event: LocalDate, days: Int, calendar: ProductionCalendar? = nil) -> LocalDate {
        if let calendar { return calendar.lastDay(from: event, days: days, type: .calendar) }
        return event.adding(days: days)
    }

    /// The last day of a term of `months` months that follows `event`.
    public static func lastDay(after event: LocalDate, months: Int, calendar: ProductionCalendar? = nil) -> LocalDate {
        let end = adding(months: months, to: event)
        guard let calendar else { return end }
        var date = end
        while !calendar.isWorkingDay(date) { date = date.adding(days: 1) }
        return date
    }

    /// The same date `months` later, clamped to the end of a shorter month (31 January + 1 month is
    /// 28 or 29 February).
    static func adding(months: Int, to date: LocalDate) -> LocalDate {
        let index = date.year * 12 + (date.month - 1) + months
        let year = index / 12
        let month = index % 12 + 1
        return LocalDate(year, month, min(date.day, LocalDate.daysIn(month: month, year: year)))
    }

    /// Whole days from `start` to `end`, not counting `start`: the «не считая дня покупки» count.
    static func days(from start: LocalDate, to end: LocalDate) -> Int { end.dayNumber - start.dayNumber }
}
