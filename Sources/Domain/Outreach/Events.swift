import Foundation

/// Who sees an event: the staff of its organisers (joint work of agencies) or everyone on the portal.
public enum EventAudience: String, Sendable, Hashable, Codable, CaseIterable {
    /// Working-group meetings, joint seminars and inspections: the organisers' staff only.
    case joint
    /// Seminars for consumers, reception days of «Общественная приёмная»: the portal, with sign-up.
    case `public`
}

public enum EventFormat: String, Sendable, Hashable, Codable, CaseIterable {
    case seminar
    case reception
    case meeting
    case inspection
}

public enum EventStatus: String, Sendable, Hashable, Codable {
    case draft, published, cancelled
}

/// What an editor submits for an event, checked field by field.
public struct EventDraft: Sendable, Hashable {
    public var title: String
    public var slug: String
    public var audience: String
    public var format: String
    public var sphere: String
    public var description: String
    public var organisers: [UUID]
    public var place: String
    public var onlineURL: String
    /// `2026-12-01T10:00` in the region's time zone (HTML datetime-local fields).
    public var startsAt: String
    public var endsAt: String
    /// Empty: no limit.
    public var capacity: String

    public static let maxTitle = 200
    public static let maxDescription = 50_000
    public static let maxPlace = 500
    public static let maxCapacity = 100_000
    /// Addresses under /events/ that pages of their own use.
    public static let reservedSlugs: Set<String> = ["cancel", "calendar"]

    public init(
        title: String, slug: String = "", audience: String, format: String, sphere: String = "", description: String,
        organisers: [UUID], place: String = "", onlineURL: String = "", startsAt: String, endsAt: String, capacity: String = ""
    ) {
        self.title = title
        self.slug = slug
        self.audience = audience
        self.format = format
        self.sphere = sphere
        self.description = description
        self.organisers = organisers
        self.place = place
        self.onlineURL = onlineURL
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.capacity = capacity
    }

    public struct Valid: Sendable, Hashable {
        public var title: String
        public var slug: String
        public var audience: EventAudience
        public var format: EventFormat
        public var sphere: String?
        public var description: String
        public var organisers: [UUID]
        public var place: String
        public var onlineURL: String?
        public var startsAt: Date
        public var endsAt: Date
        public var capacity: Int?
    }

    public static func validate(_ draft: EventDraft, timeZone: TimeZone) throws(ValidationFailure) -> Valid {
        var errors = FieldErrors()
        let title = draft.title.trimmingCharacters(in: .whitespacesAndNewlines)
        if title.isEmpty { errors.add("title", .required) } else if title.count > maxTitle { errors.add("title", .tooLong) }
        let audience = EventAudience(rawValue: draft.audience)
        if audience == nil { errors.add("audience", .invalidValue) }
        let format = EventFormat(rawValue: draft.format)
        if format == nil { errors.add("format", .invalidValue) }
        let sphere = draft.sphere.trimmingCharacters(in: .whitespaces)
        if !sphere.isEmpty, SphereCode(rawValue: sphere) == nil { errors.add("sphere", .invalidValue) }
        let description = draft.description.trimmingCharacters(in: .whitespacesAndNewlines)
        if description.isEmpty {
            errors.add("description", .required)
        } else if description.count > maxDescription {
            errors.add("description", .tooLong)
        }
        let organisers = draft.organisers.reduce(into: [UUID]()) { if !$0.contains($1) { $0.append($1) } }
        if organisers.isEmpty { errors.add("organisers", .required) }
        let place = draft.place.trimmingCharacters(in: .whitespacesAndNewlines)
        if place.count > maxPlace { errors.add("place", .tooLong) }
        let online = draft.onlineURL.trimmingCharacters(in: .whitespaces)
        if !online.isEmpty, !isWebLink(online) { errors.add("onlineURL", .invalidLink) }
        if place.isEmpty, online.isEmpty { errors.add("place", .required) }
        let startsAt = NewsDraft.localDateTime(draft.startsAt, timeZone: timeZone)
        let endsAt = NewsDraft.localDateTime(draft.endsAt, timeZone: timeZone)
        if draft.startsAt.trimmingCharacters(in: .whitespaces).isEmpty {
            errors.add("startsAt", .required)
        } else if startsAt == nil {
            errors.add("startsAt", .invalidDate)
        }
        if draft.endsAt.trimmingCharacters(in: .whitespaces).isEmpty {
            errors.add("endsAt", .required)
        } else if endsAt == nil {
            errors.add("endsAt", .invalidDate)
        } else if let startsAt, let endsAt, endsAt <= startsAt {
            errors.add("endsAt", .endsBeforeStarts)
        }
        var capacity: Int?
        let capacityText = draft.capacity.trimmingCharacters(in: .whitespaces)
        if !capacityText.isEmpty {
            if let value = Int(capacityText), value >= 1, value <= maxCapacity {
                capacity = value
            } else {
                errors.add("capacity", .invalidCount)
            }
        }
        var slug = draft.slug.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if slug.isEmpty, !title.isEmpty, let startsAt {
            // The date keeps a seminar held every month at a new address.
            slug = String(Slug.make(from: title).prefix(Slug.maxLength - 11)) + "-" + localDay(startsAt, timeZone: timeZone)
        }
        // An address made from the title needs the date too; without one, the date's own error says enough.
        if !title.isEmpty, startsAt != nil || !draft.slug.trimmingCharacters(in: .whitespaces).isEmpty, !Slug.isValid(slug) {
            errors.add("slug", .invalidValue)
        } else if reservedSlugs.contains(slug) {
            errors.add("slug", .taken)
        }
        try errors.throwIfAny()
        return Valid(
            title: title, slug: slug, audience: audience!, format: format!, sphere: sphere.isEmpty ? nil : sphere,
            description: description, organisers: organisers, place: place, onlineURL: online.isEmpty ? nil : online,
            startsAt: startsAt!, endsAt: endsAt!, capacity: capacity)
    }

    public static func isWebLink(_ text: String) -> Bool {
        guard text.count <= 2000, let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = url.host, !host.isEmpty
        else { return false }
        return !text.unicodeScalars.contains { $0.value <= 0x20 || $0.value == 0x7F }
    }

    /// `2026-12-01`, the local day.
    public static func localDay(_ date: Date, timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}

/// A citizen's sign-up for a public event: a name and an email or a phone. The contact, normalised,
/// is the key that keeps one person from taking two seats.
public struct EventSignUp: Sendable, Hashable {
    public var name: String
    public var email: EmailAddress?
    public var phone: PhoneNumber?

    public static let maxName = 200

    /// `email:…` or `phone:+7…`: one per person and event.
    public var contactKey: String { email.map { "email:" + $0.value } ?? "phone:" + (phone?.value ?? "") }

    public static func validate(name: String, email: String, phone: String, consent: Bool) throws(ValidationFailure) -> EventSignUp {
        var errors = FieldErrors()
        if !consent { errors.add("consent", .consentRequired) }
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty { errors.add("name", .required) } else if name.count > maxName { errors.add("name", .tooLong) }
        let emailText = email.trimmingCharacters(in: .whitespaces)
        let phoneText = phone.trimmingCharacters(in: .whitespaces)
        let email = EmailAddress(emailText)
        let phone = PhoneNumber(phoneText)
        if emailText.isEmpty, phoneText.isEmpty { errors.add("email", .emailOrPhoneRequired) }
        if !emailText.isEmpty, email == nil { errors.add("email", .invalidEmail) }
        if !phoneText.isEmpty, phone == nil { errors.add("phone", .invalidPhone) }
        try errors.throwIfAny()
        return EventSignUp(name: name, email: email, phone: phone)
    }

    /// Open while the event is published and has not started yet.
    public static func isOpen(status: EventStatus, audience: EventAudience, startsAt: Date, now: Date) -> Bool {
        status == .published && audience == .public && startsAt > now
    }
}

/// What organisers record after the event: how many came and a short report.
public struct EventReport: Sendable, Hashable {
    public var attendees: Int
    public var report: String

    public static func validate(attendees: String, report: String, endsAt: Date, now: Date) throws(ValidationFailure) -> EventReport {
        var errors = FieldErrors()
        let count = Int(attendees.trimmingCharacters(in: .whitespaces))
        if attendees.trimmingCharacters(in: .whitespaces).isEmpty {
            errors.add("attendees", .required)
        } else if count == nil || count! < 0 || count! > EventDraft.maxCapacity {
            errors.add("attendees", .invalidCount)
        } else if endsAt > now {
            errors.add("attendees", .eventNotHeld)
        }
        let text = report.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.count > EventDraft.maxDescription { errors.add("report", .tooLong) }
        try errors.throwIfAny()
        return EventReport(attendees: count!, report: text)
    }
}

/// A material attached after the event: a title and a link (slides, a recording).
public struct EventMaterialLink: Sendable, Hashable {
    public var title: String
    public var url: String

    public static func validate(title: String, url: String) throws(ValidationFailure) -> EventMaterialLink {
        var errors = FieldErrors()
        let title = title.trimmingCharacters(in: .whitespacesAndNewlines)
        if title.isEmpty { errors.add("materialTitle", .required) } else if title.count > 200 { errors.add("materialTitle", .tooLong) }
        let url = url.trimmingCharacters(in: .whitespaces)
        if url.isEmpty { errors.add("materialURL", .required) } else if !EventDraft.isWebLink(url) { errors.add("materialURL", .invalidLink) }
        try errors.throwIfAny()
        return EventMaterialLink(title: title, url: url)
    }
}

/// The seats of an event: who is confirmed and who waits, in the order they signed up.
public enum EventSeats {
    public enum Place: Sendable, Hashable {
        case confirmed
        /// 1-based position in the waiting list.
        case waiting(Int)
    }

    /// The waiting people (oldest first) who take the seats `capacity` leaves free over `confirmed`.
    public static func promotions(capacity: Int?, confirmed: Int, waiting: [UUID]) -> [UUID] {
        guard let capacity else { return waiting }
        return Array(waiting.prefix(max(0, capacity - confirmed)))
    }

    /// When the reminder of a confirmed seat is due: a day before the start (or at once, for a seat taken
    /// later than that).
    public static func reminderDue(startsAt: Date) -> Date { startsAt.addingTimeInterval(-24 * 3600) }
}
