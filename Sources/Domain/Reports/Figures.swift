import Foundation

/// A period of whole days in the region, both ends included.
public struct StatPeriod: Hashable, Sendable {
    public let from: LocalDate
    public let to: LocalDate

    /// Longer periods are refused: nobody reads them, and they would scan the whole register.
    public static let maxYears = 5

    public enum Problem: Error, Equatable, Sendable {
        case endBeforeStart
        case tooLong
    }

    public init(from: LocalDate, to: LocalDate) throws(Problem) {
        guard to >= from else { throw .endBeforeStart }
        let limit = LocalDate(from.year + Self.maxYears, from.month, min(from.day, LocalDate.daysIn(month: from.month, year: from.year + Self.maxYears)))
        guard to < limit else { throw .tooLong }
        self.from = from
        self.to = to
    }

    public static func month(_ month: StatMonth) -> StatPeriod {
        try! StatPeriod(from: month.first, to: month.last)
    }

    public static func quarter(year: Int, _ quarter: Int) -> StatPeriod {
        let first = StatMonth(year: year, month: (quarter - 1) * 3 + 1)
        return try! StatPeriod(from: first.first, to: StatMonth(year: year, month: first.month + 2).last)
    }

    public static func year(_ year: Int) -> StatPeriod {
        try! StatPeriod(from: LocalDate(year, 1, 1), to: LocalDate(year, 12, 31))
    }

    public var days: Int { to.dayNumber - from.dayNumber + 1 }

    /// Whether it starts on the 1st and ends on the last day of a month.
    public var isWholeMonths: Bool { from.day == 1 && to == StatMonth(to).last }

    /// The months wholly inside, and the days before and after them (each within one month or two).
    public var split: (months: ClosedRange<StatMonth>?, head: ClosedRange<LocalDate>?, tail: ClosedRange<LocalDate>?) {
        var firstWhole = StatMonth(from)
        if from.day != 1 { firstWhole = firstWhole.next }
        var lastWhole = StatMonth(to)
        if to != lastWhole.last { lastWhole = lastWhole.previous }
        guard firstWhole <= lastWhole else { return (nil, from...to, nil) }
        let head = from < firstWhole.first ? from...firstWhole.first.adding(days: -1) : nil
        let tail = to > lastWhole.last ? lastWhole.next.first...to : nil
        return (firstWhole...lastWhole, head, tail)
    }

    /// The period just before, as long: the months before for whole months, otherwise as many days.
    public var previous: StatPeriod {
        if isWholeMonths {
            let months = (StatMonth(to).year - StatMonth(from).year) * 12 + StatMonth(to).month - StatMonth(from).month + 1
            var start = StatMonth(from)
            for _ in 0..<months { start = start.previous }
            return try! StatPeriod(from: start.first, to: StatMonth(from).previous.last)
        }
        return try! StatPeriod(from: from.adding(days: -days), to: from.adding(days: -1))
    }

    public var months: [StatMonth] {
        var out: [StatMonth] = []
        var month = StatMonth(from)
        while month <= StatMonth(to) {
            out.append(month)
            month = month.next
        }
        return out
    }

    public func contains(_ day: LocalDate) -> Bool { day >= from && day <= to }
}

extension StatMonth {
    public var previous: StatMonth { month == 1 ? StatMonth(year: year - 1, month: 12) : StatMonth(year: year, month: month - 1) }
}

/// The official «сведения о работе по защите прав потребителей» (domain.md §6): contacts by sphere,
/// kind of help and result, with the money returned voluntarily and through the courts.
public struct OfficialReport: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var sphere: String
        public var contacts = 0
        public var byKind: [ContactKind: Int] = [:]
        public var byHelp: [HelpKind: Int] = [:]
        /// Contacts whose help is not said yet (appeals still being worked).
        public var helpNotGiven = 0
        public var byResult: [ReportResult: Int] = [:]
        /// Kopecks.
        public var moneyVoluntary = 0
        public var moneyCourt = 0

        public init(sphere: String) { self.sphere = sphere }

        mutating func add(_ parts: StatContribution.ContactParts, _ amount: StatAmount) {
            contacts += amount.count
            byKind[parts.kind, default: 0] += amount.count
            if let help = parts.help { byHelp[help, default: 0] += amount.count } else { helpNotGiven += amount.count }
            byResult[parts.result, default: 0] += amount.count
            if parts.help?.viaCourt == true { moneyCourt += amount.amount } else { moneyVoluntary += amount.amount }
        }

        mutating func add(_ row: Row) {
            contacts += row.contacts
            for (key, value) in row.byKind { byKind[key, default: 0] += value }
            for (key, value) in row.byHelp { byHelp[key, default: 0] += value }
            helpNotGiven += row.helpNotGiven
            for (key, value) in row.byResult { byResult[key, default: 0] += value }
            moneyVoluntary += row.moneyVoluntary
            moneyCourt += row.moneyCourt
        }
    }

    public var period: StatPeriod
    public var rows: [Row]
    public var total: Row

    /// `contact`: the `contact` sums of the period; `spheres`: the report's rows in order (a sphere not
    /// listed is counted in the last row, «прочие»).
    public static func make(period: StatPeriod, contact: [String: StatAmount], spheres: [String]) -> OfficialReport {
        var rows = spheres.map(Row.init(sphere:))
        let index = Dictionary(uniqueKeysWithValues: spheres.enumerated().map { ($1, $0) })
        for (value, amount) in contact {
            guard let parts = StatContribution.parseContact(value), amount.count != 0 || amount.amount != 0 else { continue }
            let row = index[parts.sphere] ?? (rows.count - 1)
            rows[row].add(parts, amount)
        }
        var total = Row(sphere: "")
        for row in rows { total.add(row) }
        return OfficialReport(period: period, rows: rows, total: total)
    }
}

/// Deadline compliance of one organisation (or of all together) for a period.
public struct Compliance: Sendable, Equatable {
    /// Appeals registered in the period.
    public var registered = 0
    /// Answers given in the period, on time and late.
    public var answered = 0
    public var onTime = 0
    public var late = 0
    /// Appeals registered in the period whose term was extended, and those postponed (with how many
    /// postponements in all).
    public var extended = 0
    public var postponedAppeals = 0
    public var postponements = 0
    /// Open now and past their term (not a figure of the period: of today).
    public var overdueNow = 0
    public var totalSeconds = 0
    /// Started days → answers.
    public var days: [Int: Int] = [:]

    public init() {}

    public var onTimeShare: Double? { answered == 0 ? nil : Double(onTime) / Double(answered) }
    public var meanDays: Double? { answered == 0 ? nil : Double(totalSeconds) / Double(answered) / 86_400 }

    /// The smallest number of started days within which 90 % of the answers came.
    public var p90Days: Int? { percentileDays(0.9) }

    public func percentileDays(_ share: Double) -> Int? {
        guard answered > 0 else { return nil }
        let needed = Int((share * Double(answered)).rounded(.up))
        var seen = 0
        for day in days.keys.sorted() {
            seen += days[day]!
            if seen >= needed { return day }
        }
        return days.keys.max()
    }

    /// `answer` sums: `on_time|days` / `late|days`.
    public mutating func add(answer value: String, _ amount: StatAmount) {
        let parts = value.split(separator: "|")
        guard parts.count == 2, let day = Int(parts[1]) else { return }
        answered += amount.count
        if parts[0] == "late" { late += amount.count } else { onTime += amount.count }
        totalSeconds += amount.seconds
        days[day, default: 0] += amount.count
    }

    public mutating func add(_ other: Compliance) {
        registered += other.registered
        answered += other.answered
        onTime += other.onTime
        late += other.late
        extended += other.extended
        postponedAppeals += other.postponedAppeals
        postponements += other.postponements
        overdueNow += other.overdueNow
        totalSeconds += other.totalSeconds
        for (day, count) in other.days { days[day, default: 0] += count }
    }
}

/// Citizens' ratings of answers given.
public struct Satisfaction: Sendable, Equatable {
    public var byScore: [Int: Int] = [:]

    public init() {}

    public mutating func add(score value: String, _ amount: StatAmount) {
        guard let score = Int(value), (1...5).contains(score) else { return }
        byScore[score, default: 0] += amount.count
    }

    public mutating func add(_ other: Satisfaction) {
        for (score, count) in other.byScore { byScore[score, default: 0] += count }
    }

    public var count: Int { byScore.values.reduce(0, +) }
    public var mean: Double? {
        count == 0 ? nil : Double(byScore.map { $0.key * $0.value }.reduce(0, +)) / Double(count)
    }
    /// Ratings of 2 or less (the curator's queue).
    public var lowShare: Double? {
        count == 0 ? nil : Double(byScore.filter { $0.key <= ProcessingTerms.lowRating }.values.reduce(0, +)) / Double(count)
    }
}

/// A subcategory, company or locality among the most frequent, with its count in the previous period.
public struct Hotspot: Sendable, Equatable {
    public var value: String
    public var count: Int
    public var previous: Int

    public var growth: Int { count - previous }
    /// Growth against the previous period; nil when it was not there before.
    public var growthShare: Double? { previous == 0 ? nil : Double(count - previous) / Double(previous) }

    public init(value: String, count: Int, previous: Int) {
        self.value = value
        self.count = count
        self.previous = previous
    }

    /// The most frequent, most first (ties by value, so the order is stable).
    public static func frequent(_ current: [String: StatAmount], previous: [String: StatAmount], top: Int) -> [Hotspot] {
        current.filter { $0.value.count > 0 }
            .map { Hotspot(value: $0.key, count: $0.value.count, previous: previous[$0.key]?.count ?? 0) }
            .sorted { ($0.count, $1.value) > ($1.count, $0.value) }
            .prefix(top).map { $0 }
    }

    /// The fastest growing: the largest rise in count against the previous period (only rises).
    public static func growing(_ current: [String: StatAmount], previous: [String: StatAmount], top: Int) -> [Hotspot] {
        current.map { Hotspot(value: $0.key, count: $0.value.count, previous: previous[$0.key]?.count ?? 0) }
            .filter { $0.growth > 0 }
            .sorted { ($0.growth, $0.count, $1.value) > ($1.growth, $1.count, $0.value) }
            .prefix(top).map { $0 }
    }
}

/// Contacts per specialist: is the load fair?
public struct LoadFigures: Sendable, Equatable {
    public struct Person: Sendable, Equatable {
        public var id: String
        public var contacts: Int
        public var perWorkingDay: Double
    }

    public var people: [Person]
    public var workingDays: Int

    public static func make(_ executor: [String: StatAmount], period: StatPeriod, calendar: ProductionCalendar) -> LoadFigures {
        var working = 0
        var day = period.from
        while day <= period.to {
            if calendar.isWorkingDay(day) { working += 1 }
            day = day.adding(days: 1)
        }
        let people = executor.filter { $0.value.count > 0 }
            .map { Person(id: $0.key, contacts: $0.value.count, perWorkingDay: working == 0 ? 0 : Double($0.value.count) / Double(working)) }
            .sorted { ($0.contacts, $1.id) > ($1.contacts, $0.id) }
        return LoadFigures(people: people, workingDays: working)
    }

    /// The busiest against the least busy (1 is perfectly even).
    public var spread: Double? {
        guard let most = people.first?.contacts, let least = people.last?.contacts, least > 0 else { return nil }
        return Double(most) / Double(least)
    }
}

/// The rows of the official report, in the order of domain.md §6; «прочие» is last and takes any
/// sphere not listed.
public enum ReportSpheres {
    public static let codes = [
        "trade", "household_services", "housing", "communications", "transport", "financial_services", "medical_services",
        "tourism", "catering", "education", StatContribution.otherSphere,
    ]
}
