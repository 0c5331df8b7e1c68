import Foundation

/// A day of the region's calendar, without a time: what deadlines count in.
public struct LocalDate: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(_ year: Int, _ month: Int, _ day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// `2026-01-09`; nil for anything that is not a real date.
    public init?(iso text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...LocalDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.init(year, month, day)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = LocalDate(iso: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a date: \(text)"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// `2026-01-09`. Written digit by digit: it is called for every key the statistics keep, and
    /// `String(format:)` costs microseconds.
    public var description: String {
        guard (0...9999).contains(year) else { return String(format: "%04d-%02d-%02d", year, month, day) }
        var bytes: [UInt8] = [0, 0, 0, 0, 45, 0, 0, 45, 0, 0]
        bytes[0] = UInt8(48 + year / 1000)
        bytes[1] = UInt8(48 + year / 100 % 10)
        bytes[2] = UInt8(48 + year / 10 % 10)
        bytes[3] = UInt8(48 + year % 10)
        bytes[5] = UInt8(48 + month / 10)
        bytes[6] = UInt8(48 + month % 10)
        bytes[8] = UInt8(48 + day / 10)
        bytes[9] = UInt8(48 + day % 10)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Days since 1970-01-01 (proleptic Gregorian), for arithmetic without time zones.
    public var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public init(dayNumber: Int) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        self.init(yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    public func adding(days: Int) -> LocalDate { LocalDate(dayNumber: dayNumber + days) }

    /// 1 = Monday … 7 = Sunday.
    public var weekday: Int {
        let value = (dayNumber + 3) % 7  // 1970-01-01 was a Thursday
        return (value < 0 ? value + 7 : value) + 1
    }

    public var isWeekend: Bool { weekday >= 6 }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool { lhs.dayNumber < rhs.dayNumber }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// The Russian production calendar (ТК РФ ст. 112 and the yearly Government decree on transfers) in
/// the region's time zone. A published year lists its non-working weekdays and its working
/// weekend days; a year not (yet) published falls back to the Labour Code's fixed holidays, a
/// weekend holiday moving to the next weekday — close, but the decree decides, so ship every year.
public struct ProductionCalendar: Sendable {
    /// One published year, as shipped and as admins import it.
    public struct Year: Sendable, Codable, Equatable {
        public var year: Int
        /// Weekdays that are days off (holidays and days moved onto weekdays).
        public var daysOff: [LocalDate]
        /// Saturdays and Sundays that are working days (moved away by the decree).
        public var workingDays: [LocalDate]

        public init(year: Int, daysOff: [LocalDate], workingDays: [LocalDate]) {
            self.year = year
            self.daysOff = daysOff
            self.workingDays = workingDays
        }
    }

    public enum Problem: Error, Equatable, Sendable {
        case dateOutsideYear(LocalDate)
        case dayOffOnWeekend(LocalDate)
        case workingDayOnWeekday(LocalDate)
    }

    public let timeZone: TimeZone
    public let years: [Int: Year]
    private let daysOff: Set<LocalDate>
    private let workingWeekendDays: Set<LocalDate>

    public init(years: [Year], timeZone: TimeZone = TimeZone(identifier: "Europe/Volgograd")!) {
        self.timeZone = timeZone
        self.years = Dictionary(years.map { ($0.year, $0) }, uniquingKeysWith: { _, last in last })
        daysOff = Set(self.years.values.flatMap(\.daysOff))
        workingWeekendDays = Set(self.years.values.flatMap(\.workingDays))
    }

    /// A year as the decree must read: its dates in that year, days off on weekdays, working days on
    /// weekends.
    public static func check(_ year: Year) -> [Problem] {
        var problems: [Problem] = []
        for date in year.daysOff {
            if date.year != year.year { problems.append(.dateOutsideYear(date)) } else if date.isWeekend { problems.append(.dayOffOnWeekend(date)) }
        }
        for date in year.workingDays {
            if date.year != year.year { problems.append(.dateOutsideYear(date)) } else if !date.isWeekend {
                problems.append(.workingDayOnWeekday(date))
            }
        }
        return problems
    }

    /// The fixed non-working holidays of ТК РФ ст. 112.
    static let fixedHolidays: [(month: Int, day: Int)] = [
        (1, 1), (1, 2), (1, 3), (1, 4), (1, 5), (1, 6), (1, 7), (1, 8), (2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4),
    ]

    public func isWorkingDay(_ date: LocalDate) -> Bool {
        if years[date.year] != nil {
            if workingWeekendDays.contains(date) { return true }
            return !date.isWeekend && !daysOff.contains(date)
        }
        return !date.isWeekend && !Self.unpublishedDaysOff(date.year).contains(date)
    }

    /// Fallback for a year without a decree: fixed holidays; one falling on a weekend (January's
    /// excepted) moves to the next weekday that is not itself a holiday.
    static func unpublishedDaysOff(_ year: Int) -> Set<LocalDate> {
        let holidays = fixedHolidays.map { LocalDate(year, $0.month, $0.day) }
        let holidaySet = Set(holidays)
        var result = Set(holidays.filter { !$0.isWeekend })
        for holiday in holidays where holiday.isWeekend && holiday.month != 1 {
            var next = holiday.adding(days: 1)
            while next.isWeekend || holidaySet.contains(next) || result.contains(next) { next = next.adding(days: 1) }
            result.insert(next)
        }
        return result
    }

    public func localDate(of instant: Date) -> LocalDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: instant)
        return LocalDate(parts.year!, parts.month!, parts.day!)
    }

    /// The first moment of `date` in the region.
    public func start(of date: LocalDate) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.date(from: DateComponents(year: date.year, month: date.month, day: date.day))!
    }

    /// The last day of a term of `days` that starts the day after `start` (ГК РФ ст. 191): working
    /// days skip days off; a calendar term ending on a day off ends on the next working day (ст. 193).
    public func lastDay(from start: LocalDate, days: Int, type: DayType) -> LocalDate {
        switch type {
        case .calendar:
            var date = start.adding(days: days)
            while !isWorkingDay(date) { date = date.adding(days: 1) }
            return date
        case .working:
            var date = start
            var left = days
            while left > 0 {
                date = date.adding(days: 1)
                if isWorkingDay(date) { left -= 1 }
            }
            return date
        }
    }

    /// The moment a term runs out: the end (midnight) of its last day, in the region.
    public func due(from start: Date, days: Int, type: DayType) -> Date {
        let last = lastDay(from: localDate(of: start), days: days, type: type)
        return self.start(of: last.adding(days: 1)).addingTimeInterval(-1)
    }

    public func year(of instant: Date) -> Int { localDate(of: instant).year }
}

/// The calendar file: `{"years": [{"year": 2026, "daysOff": [...], "workingDays": [...]}]}`.
public enum ProductionCalendarFile {
    struct File: Codable {
        var years: [ProductionCalendar.Year]
    }

    public enum Failure: Error, Equatable {
        case malformed(String)
        case invalid(year: Int, [ProductionCalendar.Problem])
    }

    public static func parse(_ data: Data, timeZone: TimeZone = TimeZone(identifier: "Europe/Volgograd")!) throws
        -> ProductionCalendar
    {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw Failure.malformed(String(describing: error))
        }
        for year in file.years {
            let problems = ProductionCalendar.check(year)
            if !problems.isEmpty { throw Failure.invalid(year: year.year, problems) }
        }
        return ProductionCalendar(years: file.years, timeZone: timeZone)
    }
}
