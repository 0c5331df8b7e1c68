import Foundation

/// What an editor submits for a news item, checked field by field.
public struct NewsDraft: Sendable, Hashable {
    public var title: String
    public var slug: String
    public var sphere: String
    public var summary: String
    public var body: String
    /// `2026-12-01T10:00`, local time of the region (an HTML datetime-local field).
    public var publishAt: String

    public static let maxTitle = 200
    public static let maxSummary = 500
    public static let maxBody = 100_000

    public init(title: String, slug: String, sphere: String, summary: String, body: String, publishAt: String) {
        self.title = title
        self.slug = slug
        self.sphere = sphere
        self.summary = summary
        self.body = body
        self.publishAt = publishAt
    }

    public struct Valid: Sendable, Hashable {
        public var title: String
        public var slug: String
        public var sphere: String?
        public var summary: String
        public var body: String
        public var publishAt: Date
    }

    public static func validate(_ draft: NewsDraft, timeZone: TimeZone) throws(ValidationFailure) -> Valid {
        var errors = FieldErrors()
        let title = draft.title.trimmingCharacters(in: .whitespacesAndNewlines)
        if title.isEmpty { errors.add("title", .required) } else if title.count > maxTitle { errors.add("title", .tooLong) }
        var slug = draft.slug.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if slug.isEmpty { slug = Slug.make(from: title) }
        if !title.isEmpty, !Slug.isValid(slug) { errors.add("slug", .invalidValue) }
        let sphere = draft.sphere.trimmingCharacters(in: .whitespaces)
        if !sphere.isEmpty, SphereCode(rawValue: sphere) == nil { errors.add("sphere", .invalidValue) }
        let summary = draft.summary.trimmingCharacters(in: .whitespacesAndNewlines)
        if summary.count > maxSummary { errors.add("summary", .tooLong) }
        let body = draft.body.trimmingCharacters(in: .whitespacesAndNewlines)
        if body.isEmpty { errors.add("body", .required) } else if body.count > maxBody { errors.add("body", .tooLong) }
        let publishAt = localDateTime(draft.publishAt, timeZone: timeZone)
        if draft.publishAt.trimmingCharacters(in: .whitespaces).isEmpty {
            errors.add("publishAt", .required)
        } else if publishAt == nil {
            errors.add("publishAt", .invalidDate)
        }
        try errors.throwIfAny()
        return Valid(
            title: title, slug: slug, sphere: sphere.isEmpty ? nil : sphere, summary: summary, body: body, publishAt: publishAt!)
    }

    /// `2026-12-01T10:00` (or with seconds) in `timeZone`.
    public static func localDateTime(_ text: String, timeZone: TimeZone) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text.trimmingCharacters(in: .whitespaces)) { return date }
        }
        return nil
    }
}
