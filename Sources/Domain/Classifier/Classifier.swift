/// The unified classifier (product.md §3): categories → subcategories, each subcategory with its
/// terms, kind, fast-track flag, extra questions and keywords. These are the values an import file
/// carries and an appeal is filed under.

/// «Обращение» under 59-ФЗ (a formal appeal: 30 days, one extension) or a ПОС «сообщение» (a report
/// with short terms). domain.md §1–2.
public enum AppealKind: String, Sendable, Codable, CaseIterable, Hashable {
    case appeal
    case message
}

public enum DayType: String, Sendable, Codable, CaseIterable, Hashable {
    case calendar
    case working
}

/// Legal defaults, one place to change them (domain.md §1–2).
public enum ClassifierDefaults {
    /// 59-ФЗ ст. 12 ч. 1: 30 days from registration.
    public static let formalAppealDays = 30
    /// A ПОС сообщение: 10 working days *(setting)*.
    public static let messageDays = 10
    /// Fast-track: 3 working days *(setting)*.
    public static let fastTrackDays = 3
    public static let coordinationDays = 1
    public static let moderationDays = 1
}

public enum QuestionType: String, Sendable, Codable, CaseIterable, Hashable {
    case text, number, date, yesno, choice
}

/// A typed question a subcategory asks the citizen (e.g. «Дата покупки»).
public struct ExtraQuestion: Sendable, Codable, Hashable {
    public var code: String
    public var label: String
    public var type: QuestionType
    public var required: Bool
    public var options: [String]?

    public init(code: String, label: String, type: QuestionType, required: Bool, options: [String]? = nil) {
        self.code = code
        self.label = label
        self.type = type
        self.required = required
        self.options = options
    }

    enum CodingKeys: String, CodingKey { case code, label, type, required, options }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(String.self, forKey: .code)
        label = try container.decode(String.self, forKey: .label)
        type = try container.decode(QuestionType.self, forKey: .type)
        required = try container.decodeIfPresent(Bool.self, forKey: .required) ?? false
        options = try container.decodeIfPresent([String].self, forKey: .options)
    }
}

public struct SubcategorySpec: Sendable, Codable, Hashable {
    public var code: String
    public var name: String
    public var kind: AppealKind
    public var answerDays: Int
    public var dayType: DayType
    public var coordinationDays: Int
    public var moderationDays: Int
    public var fastTrack: Bool
    public var keywords: [String]
    public var questions: [ExtraQuestion]

    public init(
        code: String, name: String, kind: AppealKind, answerDays: Int, dayType: DayType, coordinationDays: Int,
        moderationDays: Int, fastTrack: Bool, keywords: [String], questions: [ExtraQuestion]
    ) {
        self.code = code
        self.name = name
        self.kind = kind
        self.answerDays = answerDays
        self.dayType = dayType
        self.coordinationDays = coordinationDays
        self.moderationDays = moderationDays
        self.fastTrack = fastTrack
        self.keywords = keywords
        self.questions = questions
    }

    enum CodingKeys: String, CodingKey {
        case code, name, kind, answerDays, dayType, coordinationDays, moderationDays, fastTrack, keywords, questions
    }

    /// Terms left out of a file take the legal defaults for the kind.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(String.self, forKey: .code)
        name = try container.decode(String.self, forKey: .name)
        kind = try container.decodeIfPresent(AppealKind.self, forKey: .kind) ?? .appeal
        fastTrack = try container.decodeIfPresent(Bool.self, forKey: .fastTrack) ?? false
        let defaults = SubcategorySpec.defaultTerm(kind: kind, fastTrack: fastTrack)
        answerDays = try container.decodeIfPresent(Int.self, forKey: .answerDays) ?? defaults.days
        dayType = try container.decodeIfPresent(DayType.self, forKey: .dayType) ?? defaults.type
        coordinationDays =
            try container.decodeIfPresent(Int.self, forKey: .coordinationDays) ?? ClassifierDefaults.coordinationDays
        moderationDays =
            try container.decodeIfPresent(Int.self, forKey: .moderationDays) ?? ClassifierDefaults.moderationDays
        keywords = try container.decodeIfPresent([String].self, forKey: .keywords) ?? []
        questions = try container.decodeIfPresent([ExtraQuestion].self, forKey: .questions) ?? []
    }

    public static func defaultTerm(kind: AppealKind, fastTrack: Bool) -> (days: Int, type: DayType) {
        if fastTrack { return (ClassifierDefaults.fastTrackDays, .working) }
        switch kind {
        case .appeal: return (ClassifierDefaults.formalAppealDays, .calendar)
        case .message: return (ClassifierDefaults.messageDays, .working)
        }
    }
}

public struct CategorySpec: Sendable, Codable, Hashable {
    public var code: String
    public var name: String
    /// One of the nine consumer spheres, or nil for the general ПОС categories.
    public var sphere: String?
    public var subcategories: [SubcategorySpec]

    public init(code: String, name: String, sphere: String?, subcategories: [SubcategorySpec]) {
        self.code = code
        self.name = name
        self.sphere = sphere
        self.subcategories = subcategories
    }
}

public struct ClassifierSpec: Sendable, Codable, Hashable {
    public var version: Int
    public var categories: [CategorySpec]

    public init(version: Int = 1, categories: [CategorySpec]) {
        self.version = version
        self.categories = categories
    }

    public var subcategoryCount: Int { categories.reduce(0) { $0 + $1.subcategories.count } }
}
