import Foundation

/// Deadline arithmetic until the production calendar lands (processing issue): calendar days as
/// they are, working days skipping Saturdays and Sundays, in the region's time zone. A calendar-day
/// term that ends on a weekend moves to the next working day (ГК РФ ст. 193).
public struct ProvisionalDeadline: Sendable {
    public var timeZone: TimeZone

    public init(timeZone: TimeZone = TimeZone(identifier: "Europe/Volgograd")!) {
        self.timeZone = timeZone
    }

    public func due(from start: Date, days: Int, type: DayType) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        func isWeekend(_ date: Date) -> Bool {
            let weekday = calendar.component(.weekday, from: date)
            return weekday == 1 || weekday == 7
        }
        var date = calendar.startOfDay(for: start)
        switch type {
        case .calendar:
            date = calendar.date(byAdding: .day, value: days, to: date)!
            while isWeekend(date) { date = calendar.date(byAdding: .day, value: 1, to: date)! }
        case .working:
            var left = days
            while left > 0 {
                date = calendar.date(byAdding: .day, value: 1, to: date)!
                if !isWeekend(date) { left -= 1 }
            }
        }
        // The end of that day: the term runs out at midnight.
        return calendar.date(byAdding: DateComponents(day: 1, second: -1), to: date)!
    }
}
