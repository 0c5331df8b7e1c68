import Foundation

/// The kind of help a contact got (domain.md §6: the official report's columns).
public enum HelpKind: String, Sendable, Codable, CaseIterable, Hashable {
    case oralConsultation = "oral_consultation"
    case writtenConsultation = "written_consultation"
    case claimHelp = "claim_help"
    case lawsuit
    case court
    case redirect

    /// Money returned after this help came through a court (a suit prepared, a hearing attended);
    /// after any other help the seller paid of their own accord.
    public var viaCourt: Bool { self == .lawsuit || self == .court }
}

/// Where a contact came from: an appeal in the register, or a hotline call, chat or visit that did not
/// become one (those count as contacts too, by sphere: domain.md §6, seed 002).
public enum ContactKind: String, Sendable, Codable, CaseIterable, Hashable {
    case appeal
    case hotline
    case chat
    case reception
}

/// The result column of the official report. The first five are the report's own (domain.md §6); the
/// last two keep the totals honest: contacts still being worked, and appeals left without an answer in
/// substance under 59-ФЗ ст. 11.
public enum ReportResult: String, Sendable, Codable, CaseIterable, Hashable {
    case satisfied
    case partly
    case notSatisfied = "not_satisfied"
    case explained
    case redirected
    case inWork = "in_work"
    case rejected

    /// A redirect to another body is a result of its own, whatever the answer said.
    public static func of(outcome: AnswerOutcome?, help: HelpKind?, rejected: Bool = false) -> ReportResult {
        if rejected { return .rejected }
        if help == .redirect { return .redirected }
        switch outcome {
        case .satisfied: return .satisfied
        case .partly: return .partly
        case .notSatisfied: return .notSatisfied
        case .explained: return .explained
        case nil: return .inWork
        }
    }

    /// Results under which money may have come back to the consumer.
    public var mayReturnMoney: Bool { self == .satisfied || self == .partly }
}

/// What the statistics count, each kept per month and organisation (see `StatContribution`). Every
/// figure of the dashboards and reports is a sum over these.
public enum StatDimension: String, Sendable, Codable, CaseIterable, Hashable {
    /// Every contact, as `kind|sphere|help|result`, with the money returned (kopecks) as its amount;
    /// by the day it came. Counts by kind, sphere, help and result, and the official report, are sums of it.
    case contact
    // Appeals only, by the day of registration:
    case category
    case subcategory
    case territory
    case channel
    case status
    case locality
    case company
    /// Appeals whose answer term was extended (59-ФЗ ст. 12 ч. 2).
    case extended
    /// Postponements (the amount of a row is their number).
    case postponed
    /// Answers, by the day of the answer: `on_time|days` or `late|days`, where days is the number of
    /// started days from registration to answer; `seconds` holds the exact time.
    case answer
    /// Ratings, by the day of rating: the score.
    case rating
    /// Contacts per specialist, by the day they got the work: the person's id.
    case executor
}

/// A month as one number, 202611: the grain the statistics are kept in.
public struct StatMonth: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init(year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    public init(_ date: LocalDate) { self.init(year: date.year, month: date.month) }

    public init?(code: Int) {
        let month = code % 100
        guard (1...12).contains(month), code / 100 > 0 else { return nil }
        self.init(year: code / 100, month: month)
    }

    public var code: Int { year * 100 + month }
    public var first: LocalDate { LocalDate(year, month, 1) }
    public var last: LocalDate { LocalDate(year, month, LocalDate.daysIn(month: month, year: year)) }
    public var next: StatMonth { month == 12 ? StatMonth(year: year + 1, month: 1) : StatMonth(year: year, month: month + 1) }

    public static func < (lhs: StatMonth, rhs: StatMonth) -> Bool { lhs.code < rhs.code }
    public var description: String { String(format: "%04d-%02d", year, month) }
}

/// One thing counted: a dimension's value, on a day, for an organisation (`nil`: no organisation yet).
public struct StatKey: Hashable, Sendable {
    public var day: LocalDate
    public var organisation: UUID?
    public var dimension: StatDimension
    public var value: String

    public init(day: LocalDate, organisation: UUID?, dimension: StatDimension, value: String) {
        self.day = day
        self.organisation = organisation
        self.dimension = dimension
        self.value = value
    }
}

/// How much of it: a count, an amount (kopecks returned; postponements) and seconds (time to answer).
public struct StatAmount: Hashable, Sendable {
    public var count: Int
    public var amount: Int
    public var seconds: Int

    public init(count: Int = 0, amount: Int = 0, seconds: Int = 0) {
        self.count = count
        self.amount = amount
        self.seconds = seconds
    }

    public static let zero = StatAmount()
    public var isZero: Bool { count == 0 && amount == 0 && seconds == 0 }

    public static func + (lhs: StatAmount, rhs: StatAmount) -> StatAmount {
        StatAmount(count: lhs.count + rhs.count, amount: lhs.amount + rhs.amount, seconds: lhs.seconds + rhs.seconds)
    }

    public static prefix func - (value: StatAmount) -> StatAmount {
        StatAmount(count: -value.count, amount: -value.amount, seconds: -value.seconds)
    }

    public static func += (lhs: inout StatAmount, rhs: StatAmount) { lhs = lhs + rhs }
}

/// What the statistics read of an appeal.
public struct AppealFacts: Sendable, Hashable {
    public var registeredAt: Date
    public var organisation: UUID?
    public var status: AppealStatus
    public var channel: IntakeChannel
    public var sphere: String?
    public var categoryCode: String
    public var subcategoryCode: String
    public var territory: UUID
    public var locality: String?
    public var conflictINN: String?
    public var conflictName: String?
    public var outcome: AnswerOutcome?
    public var help: HelpKind?
    /// Kopecks returned to the consumer.
    public var moneyReturned: Int?
    public var answeredAt: Date?
    public var answerDueAt: Date
    public var extended: Bool
    public var postponements: Int
    public var rating: Int?
    public var ratedAt: Date?
    public var executor: UUID?
    public var assignedAt: Date?

    public init(
        registeredAt: Date, organisation: UUID?, status: AppealStatus, channel: IntakeChannel, sphere: String?,
        categoryCode: String, subcategoryCode: String, territory: UUID, locality: String? = nil,
        conflictINN: String? = nil, conflictName: String? = nil, outcome: AnswerOutcome? = nil, help: HelpKind? = nil,
        moneyReturned: Int? = nil, answeredAt: Date? = nil, answerDueAt: Date, extended: Bool = false,
        postponements: Int = 0, rating: Int? = nil, ratedAt: Date? = nil, executor: UUID? = nil, assignedAt: Date? = nil
    ) {
        self.registeredAt = registeredAt
        self.organisation = organisation
        self.status = status
        self.channel = channel
        self.sphere = sphere
        self.categoryCode = categoryCode
        self.subcategoryCode = subcategoryCode
        self.territory = territory
        self.locality = locality
        self.conflictINN = conflictINN
        self.conflictName = conflictName
        self.outcome = outcome
        self.help = help
        self.moneyReturned = moneyReturned
        self.answeredAt = answeredAt
        self.answerDueAt = answerDueAt
        self.extended = extended
        self.postponements = postponements
        self.rating = rating
        self.ratedAt = ratedAt
        self.executor = executor
        self.assignedAt = assignedAt
    }
}

/// What the statistics read of a contact that is not an appeal (a hotline call, a chat, a visit).
public struct ContactFacts: Sendable, Hashable {
    public var kind: ContactKind
    public var occurredAt: Date
    public var organisation: UUID?
    public var sphere: String?
    public var help: HelpKind
    public var result: ReportResult
    public var moneyReturned: Int?
    public var operatorID: UUID?

    public init(
        kind: ContactKind, occurredAt: Date, organisation: UUID?, sphere: String?, help: HelpKind, result: ReportResult,
        moneyReturned: Int? = nil, operatorID: UUID? = nil
    ) {
        self.kind = kind
        self.occurredAt = occurredAt
        self.organisation = organisation
        self.sphere = sphere
        self.help = help
        self.result = result
        self.moneyReturned = moneyReturned
        self.operatorID = operatorID
    }
}

/// What one appeal or contact adds to the statistics. The store keeps each source's last contribution,
/// so a change subtracts the old one and adds the new: the sums always equal what a count over the
/// register would give now.
public enum StatContribution {
    /// A sphere not given (a category outside the spheres) is counted as «прочие».
    public static let otherSphere = "other"
    /// Help and result not known yet.
    public static let none = "-"

    /// Normalised company and locality names, remembered: a fold of thousands of appeals meets the same
    /// names again and again. One per fold; not shared between threads.
    public final class Names {
        var companies: [String: String?] = [:]
        var localities: [String: String?] = [:]

        public init() {}

        func company(inn: String?, name: String?) -> String? {
            let key = (inn ?? "") + "\u{1F}" + (name ?? "")
            if let known = companies[key] { return known }
            let value = StatContribution.companyKey(inn: inn, name: name)
            companies[key] = value
            return value
        }

        func locality(_ raw: String) -> String? {
            if let known = localities[raw] { return known }
            let value = StatContribution.normalisedLocality(raw)
            localities[raw] = value
            return value
        }
    }

    public static func of(_ appeal: AppealFacts, calendar: ProductionCalendar, names: Names? = nil) -> [StatKey: StatAmount] {
        var out: [StatKey: StatAmount] = [:]
        let org = appeal.organisation
        let registered = calendar.localDate(of: appeal.registeredAt)
        func add(_ day: LocalDate, _ dimension: StatDimension, _ value: String, _ amount: StatAmount = StatAmount(count: 1)) {
            out[StatKey(day: day, organisation: org, dimension: dimension, value: value), default: .zero] += amount
        }
        let answered = appeal.answeredAt != nil && (appeal.status == .answered || appeal.status == .closed)
        let result = ReportResult.of(
            outcome: answered ? appeal.outcome : nil, help: answered ? appeal.help : nil, rejected: appeal.status == .rejected)
        let help = answered ? appeal.help?.rawValue ?? none : none
        let money = result.mayReturnMoney ? max(0, appeal.moneyReturned ?? 0) : 0
        add(registered, .contact, contactValue(.appeal, sphere: appeal.sphere, help: help, result: result), StatAmount(count: 1, amount: money))
        add(registered, .category, appeal.categoryCode)
        add(registered, .subcategory, appeal.subcategoryCode)
        add(registered, .territory, appeal.territory.uuidString.lowercased())
        add(registered, .channel, appeal.channel.rawValue)
        add(registered, .status, appeal.status.rawValue)
        if let raw = appeal.locality, let locality = names?.locality(raw) ?? normalisedLocality(raw) { add(registered, .locality, locality) }
        if let company = names?.company(inn: appeal.conflictINN, name: appeal.conflictName)
            ?? companyKey(inn: appeal.conflictINN, name: appeal.conflictName)
        {
            add(registered, .company, company)
        }
        if appeal.extended { add(registered, .extended, "") }
        if appeal.postponements > 0 { add(registered, .postponed, "", StatAmount(count: 1, amount: appeal.postponements)) }
        if answered, let answeredAt = appeal.answeredAt {
            let seconds = max(0, Int(answeredAt.timeIntervalSince(appeal.registeredAt).rounded()))
            let late = answeredAt > appeal.answerDueAt
            add(calendar.localDate(of: answeredAt), .answer, "\(late ? "late" : "on_time")|\(startedDays(seconds))",
                StatAmount(count: 1, seconds: seconds))
        }
        if let rating = appeal.rating, let ratedAt = appeal.ratedAt, (1...5).contains(rating) {
            add(calendar.localDate(of: ratedAt), .rating, String(rating))
        }
        if let executor = appeal.executor, let assignedAt = appeal.assignedAt {
            add(calendar.localDate(of: assignedAt), .executor, executor.uuidString.lowercased())
        }
        return out
    }

    public static func of(_ contact: ContactFacts, calendar: ProductionCalendar) -> [StatKey: StatAmount] {
        var out: [StatKey: StatAmount] = [:]
        let day = calendar.localDate(of: contact.occurredAt)
        let money = contact.result.mayReturnMoney ? max(0, contact.moneyReturned ?? 0) : 0
        let value = contactValue(contact.kind, sphere: contact.sphere, help: contact.help.rawValue, result: contact.result)
        out[StatKey(day: day, organisation: contact.organisation, dimension: .contact, value: value)] = StatAmount(count: 1, amount: money)
        if let person = contact.operatorID {
            out[StatKey(day: day, organisation: contact.organisation, dimension: .executor, value: person.uuidString.lowercased())] =
                StatAmount(count: 1)
        }
        return out
    }

    static func contactValue(_ kind: ContactKind, sphere: String?, help: String, result: ReportResult) -> String {
        "\(kind.rawValue)|\(sphere ?? otherSphere)|\(help)|\(result.rawValue)"
    }

    /// The parts of a `contact` value.
    public struct ContactParts: Hashable, Sendable {
        public var kind: ContactKind
        public var sphere: String
        /// `nil` while nobody has said what help was given.
        public var help: HelpKind?
        public var result: ReportResult
    }

    public static func parseContact(_ value: String) -> ContactParts? {
        let parts = value.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, let kind = ContactKind(rawValue: parts[0]), let result = ReportResult(rawValue: parts[3]) else {
            return nil
        }
        return ContactParts(kind: kind, sphere: parts[1], help: HelpKind(rawValue: parts[2]), result: result)
    }

    /// Started days: an answer within the first 24 hours took 1 day, within 48 hours 2 days, and so on.
    public static func startedDays(_ seconds: Int) -> Int {
        max(1, (seconds + 86_399) / 86_400)
    }

    /// `inn:7707083893` for a valid taxpayer number, otherwise `name:ромашка` for the name without its
    /// legal form, quotes and case, so that «ООО "Ромашка"» and «Ромашка, ООО» are one company.
    public static func companyKey(inn: String?, name: String?) -> String? {
        if let inn = inn?.filter({ !$0.isWhitespace }), INN.isValid(inn) { return "inn:\(inn)" }
        guard let name, let normalised = normalisedCompany(name) else { return nil }
        return "name:\(normalised)"
    }

    static let legalForms: [[String]] = [
        "общество с ограниченной ответственностью", "публичное акционерное общество", "закрытое акционерное общество",
        "открытое акционерное общество", "акционерное общество", "индивидуальный предприниматель",
        "муниципальное унитарное предприятие", "государственное унитарное предприятие",
        "автономная некоммерческая организация", "некоммерческая организация",
        "ооо", "пао", "зао", "оао", "ао", "ип", "муп", "гуп", "фгуп", "ано", "нко",
    ].map { $0.split(separator: " ").map(String.init) }

    public static func normalisedCompany(_ raw: String) -> String? {
        var words = words(raw, keepHyphen: false)
        // Legal forms are dropped wherever they stand, the long ones first.
        for form in legalForms where form.count <= words.count {
            var index = 0
            while index + form.count <= words.count {
                if words[index..<(index + form.count)].elementsEqual(form, by: { $0.utf8.elementsEqual($1.utf8) }) {
                    words.removeSubrange(index..<(index + form.count))
                } else {
                    index += 1
                }
            }
        }
        return words.isEmpty ? nil : words.joined(separator: " ")
    }

    static let localityPrefixes: Set<String> = [
        "г", "город", "гор", "пос", "поселок", "п", "с", "село", "ст", "станица", "х", "хутор", "рп", "пгт", "д", "деревня",
    ]

    /// A locality as people type it: «г. Волжский», «Волжский», «ВОЛЖСКИЙ Г» are one place.
    public static func normalisedLocality(_ raw: String) -> String? {
        let kept = words(raw, keepHyphen: true).filter { !localityPrefixes.contains($0) }
        return kept.isEmpty ? nil : kept.joined(separator: " ")
    }

    /// Lower-case words of letters and digits (ё as е); everything else separates them. Works on
    /// Unicode scalars: the statistics normalise every appeal's names, and `Character` is slow.
    static func words(_ raw: String, keepHyphen: Bool) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty {
                words.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        for scalar in raw.unicodeScalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil || (keepHyphen && scalar == "-") {
                if scalar == "Ё" || scalar == "ё" {
                    current.append("е")
                } else if scalar.properties.isUppercase {
                    current.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
                } else {
                    current.append(scalar)
                }
            } else {
                flush()
            }
        }
        flush()
        return words
    }
}
