import Foundation

/// The knowledge base of the portal (product.md §5): articles by sphere and kind, and FAQ entries.

/// The four kinds of material of the seeds' «Единый информационный портал».
public enum ArticleKind: String, Sendable, Codable, CaseIterable, Hashable {
    /// Нормативно-правовая информация.
    case legal
    /// Экспертные интервью.
    case interview
    /// Анализ судебной практики.
    case court
    /// Правила выбора товаров и услуг.
    case choosing
}

public enum ArticleStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case draft
    case published
}

/// Internal articles (law changes, court practice for specialists) are shown to staff only.
public enum ArticleVisibility: String, Sendable, Codable, CaseIterable, Hashable {
    case `public`
    case `internal`
}

/// Who sees an article.
public enum ContentAudience: Sendable, Hashable {
    case visitor
    case staff
    case editor

    public func sees(status: ArticleStatus, visibility: ArticleVisibility) -> Bool {
        switch self {
        case .editor: true
        case .staff: status == .published
        case .visitor: status == .published && visibility == .public
        }
    }
}

/// Readable, stable addresses: `/kb/trade/vozvrat-telefona`. Lower-case Latin letters, digits and
/// single hyphens; made from a Russian title by transliteration when the editor leaves it empty.
public enum Slug {
    public static let maxLength = 80

    public static func isValid(_ slug: String) -> Bool {
        guard !slug.isEmpty, slug.count <= maxLength, !slug.hasPrefix("-"), !slug.hasSuffix("-"), !slug.contains("--")
        else { return false }
        return slug.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// Transliteration close to the passport rules (ГОСТ Р 52535.1-2006 / приказ МВД), without signs.
    public static func make(from title: String) -> String {
        var out = ""
        for character in title.lowercased() {
            if let latin = table[character] {
                out += latin
            } else if character.isASCII, character.isLetter || character.isNumber {
                out.append(character)
            } else if !out.isEmpty, !out.hasSuffix("-") {
                out += "-"
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        if out.count > maxLength {
            out = String(out.prefix(maxLength))
            if let cut = out.lastIndex(of: "-"), out.distance(from: out.startIndex, to: cut) > maxLength / 2 {
                out = String(out[..<cut])
            }
            while out.hasSuffix("-") { out.removeLast() }
        }
        return out
    }

    static let table: [Character: String] = [
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
        "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
        "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
        "э": "e", "ю": "iu", "я": "ia",
    ]
}

/// A file of the seed content: a `---` header of `key: value` lines, then the Markdown body.
public struct FrontMatterDocument: Sendable, Hashable {
    public var fields: [String: String]
    public var body: String

    public enum Problem: Error, Hashable, Sendable {
        case noHeader
        case badLine(String)
    }

    public static func parse(_ text: String) throws(Problem) -> FrontMatterDocument {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first == "---", let end = lines.dropFirst().firstIndex(of: "---") else { throw .noHeader }
        var fields: [String: String] = [:]
        for line in lines[1..<end] where !line.allSatisfy(\.isWhitespace) {
            guard let colon = line.firstIndex(of: ":") else { throw .badLine(String(line)) }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            fields[key] = value
        }
        let body = lines[(end + 1)...].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return FrontMatterDocument(fields: fields, body: body)
    }
}

/// What an editor submits for an article; checked field by field.
public struct ArticleDraft: Sendable, Hashable {
    public var slug: String?
    public var title: String?
    public var summary: String?
    public var sphere: String?
    public var kind: String?
    public var tags: String?
    public var body: String?
    public var status: String?
    public var visibility: String?

    public init(
        slug: String? = nil, title: String? = nil, summary: String? = nil, sphere: String? = nil, kind: String? = nil,
        tags: String? = nil, body: String? = nil, status: String? = nil, visibility: String? = nil
    ) {
        self.slug = slug
        self.title = title
        self.summary = summary
        self.sphere = sphere
        self.kind = kind
        self.tags = tags
        self.body = body
        self.status = status
        self.visibility = visibility
    }
}

public struct CheckedArticle: Sendable, Hashable {
    public var slug: String
    public var title: String
    public var summary: String
    public var sphere: SphereCode
    public var kind: ArticleKind
    public var tags: [String]
    public var body: String
    public var status: ArticleStatus
    public var visibility: ArticleVisibility
}

public enum ArticleRules {
    public static let titleLimit = 200
    public static let summaryLimit = 500
    public static let bodyLimit = 200_000
    public static let tagLimit = 20

    public static func check(_ draft: ArticleDraft) throws(ValidationFailure) -> CheckedArticle {
        var errors = FieldErrors()
        let title = draft.title?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if title.isEmpty { errors.add("title", .required) } else if title.count > titleLimit { errors.add("title", .tooLong) }
        let rawSlug = draft.slug?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        let slug = rawSlug.isEmpty ? Slug.make(from: title) : rawSlug
        if !title.isEmpty, !Slug.isValid(slug) { errors.add("slug", .invalidValue) }
        let summary = draft.summary?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if summary.count > summaryLimit { errors.add("summary", .tooLong) }
        let sphere = draft.sphere.flatMap(SphereCode.init(rawValue:))
        if sphere == nil { errors.add("sphere", draft.sphere?.isEmpty ?? true ? .required : .invalidValue) }
        let kind = draft.kind.flatMap(ArticleKind.init(rawValue:))
        if kind == nil { errors.add("kind", draft.kind?.isEmpty ?? true ? .required : .invalidValue) }
        let body = draft.body?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if body.isEmpty { errors.add("body", .required) } else if body.utf8.count > bodyLimit { errors.add("body", .tooLong) }
        let status = ArticleStatus(rawValue: draft.status ?? ArticleStatus.draft.rawValue)
        if status == nil { errors.add("status", .invalidValue) }
        let visibility = ArticleVisibility(rawValue: draft.visibility ?? ArticleVisibility.public.rawValue)
        if visibility == nil { errors.add("visibility", .invalidValue) }
        let tags = Tags.parse(draft.tags ?? "")
        if tags.count > tagLimit || tags.contains(where: { $0.count > 60 }) { errors.add("tags", .tooLong) }
        try errors.throwIfAny()
        return CheckedArticle(
            slug: slug, title: title, summary: summary, sphere: sphere!, kind: kind!, tags: tags, body: body,
            status: status!, visibility: visibility!)
    }
}

/// What an editor submits for a FAQ entry.
public struct FAQDraft: Sendable, Hashable {
    public var slug: String?
    public var question: String?
    public var answer: String?
    public var sphere: String?
    public var references: String?
    public var status: String?

    public init(
        slug: String? = nil, question: String? = nil, answer: String? = nil, sphere: String? = nil,
        references: String? = nil, status: String? = nil
    ) {
        self.slug = slug
        self.question = question
        self.answer = answer
        self.sphere = sphere
        self.references = references
        self.status = status
    }
}

public struct CheckedFAQ: Sendable, Hashable {
    public var slug: String
    public var question: String
    public var answer: String
    public var sphere: SphereCode
    /// Legal references, e.g. «ст. 25 Закона РФ № 2300-1».
    public var references: [String]
    public var status: ArticleStatus
}

public enum FAQRules {
    public static func check(_ draft: FAQDraft) throws(ValidationFailure) -> CheckedFAQ {
        var errors = FieldErrors()
        let question = draft.question?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if question.isEmpty { errors.add("question", .required) } else if question.count > 300 { errors.add("question", .tooLong) }
        let rawSlug = draft.slug?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        let slug = rawSlug.isEmpty ? Slug.make(from: question) : rawSlug
        if !question.isEmpty, !Slug.isValid(slug) { errors.add("slug", .invalidValue) }
        let answer = draft.answer?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if answer.isEmpty { errors.add("answer", .required) } else if answer.utf8.count > 50_000 { errors.add("answer", .tooLong) }
        let sphere = draft.sphere.flatMap(SphereCode.init(rawValue:))
        if sphere == nil { errors.add("sphere", draft.sphere?.isEmpty ?? true ? .required : .invalidValue) }
        let references = (draft.references ?? "").split(whereSeparator: { $0 == ";" || $0 == "\n" })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if references.count > 20 || references.contains(where: { $0.count > 300 }) { errors.add("references", .tooLong) }
        let status = ArticleStatus(rawValue: draft.status ?? ArticleStatus.published.rawValue)
        if status == nil { errors.add("status", .invalidValue) }
        try errors.throwIfAny()
        return CheckedFAQ(slug: slug, question: question, answer: answer, sphere: sphere!, references: references, status: status!)
    }
}

public enum Tags {
    /// Comma-separated, trimmed, lower-cased, without repeats, in the order given.
    public static func parse(_ text: String) -> [String] {
        var seen = Set<String>()
        return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }
            .filter { !$0.isEmpty && seen.insert($0).inserted }
    }
}

/// FAQ order: the answers people found helpful first, then the most read.
public enum FAQOrder {
    /// A Wilson lower bound would be fairer for few votes; a net score with views as tie-break is what
    /// editors can predict and explain, and what the seeds ask for («голоса и просмотры»).
    public static func score(helpful: Int, unhelpful: Int) -> Int { helpful - unhelpful }
}
