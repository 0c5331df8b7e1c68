import Domain
import Fluent
import Foundation

/// An event (see M0032).
final class Event: Model, @unchecked Sendable {
    static let schema = "events"

    @ID(key: .id) var id: UUID?
    @Field(key: "slug") var slug: String
    @Field(key: "audience") var audience: EventAudience
    @Field(key: "format") var format: EventFormat
    @Field(key: "status") var status: EventStatus
    @Field(key: "title") var title: String
    @Field(key: "description") var description: String
    @OptionalField(key: "sphere") var sphere: String?
    @Field(key: "place") var place: String
    @OptionalField(key: "online_url") var onlineURL: String?
    @Field(key: "starts_at") var startsAt: Date
    @Field(key: "ends_at") var endsAt: Date
    @OptionalField(key: "capacity") var capacity: Int?
    /// Seats taken: changed only by conditional updates (`EventSeating`).
    @Field(key: "confirmed_count") var confirmedCount: Int
    /// The iCalendar SEQUENCE: grows with each change attendees must see.
    @Field(key: "sequence") var sequence: Int
    /// Counted by the organisers after the event.
    @OptionalField(key: "attendees") var attendees: Int?
    /// The organisers' short report after the event (Markdown).
    @OptionalField(key: "report") var report: String?
    @OptionalField(key: "created_by") var createdBy: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var seatsLeft: Int? { capacity.map { max(0, $0 - confirmedCount) } }
}

final class EventOrganiser: Model, @unchecked Sendable {
    static let schema = "event_organisers"

    @ID(key: .id) var id: UUID?
    @Field(key: "event_id") var eventID: UUID
    @Field(key: "organisation_id") var organisationID: UUID

    init() {}

    init(event: UUID, organisation: UUID) {
        self.eventID = event
        self.organisationID = organisation
    }
}

final class EventRegistration: Model, @unchecked Sendable {
    static let schema = "event_registrations"

    enum Status: String, Codable, Sendable {
        case confirmed, waiting, cancelled
    }

    @ID(key: .id) var id: UUID?
    @Field(key: "event_id") var eventID: UUID
    @Field(key: "name") var name: String
    @OptionalField(key: "email") var email: String?
    @OptionalField(key: "phone") var phone: String?
    @Field(key: "contact_key") var contactKey: String
    @Field(key: "status") var status: Status
    /// The place in the queue: the time of the (last) sign-up.
    @Field(key: "queued_at") var queuedAt: Date
    @Field(key: "cancel_token_hash") var cancelTokenHash: String
    @OptionalField(key: "reminded_at") var remindedAt: Date?
    /// When the person agreed to the processing of their name and contact (152-ФЗ).
    @Field(key: "consent_at") var consentAt: Date
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "cancelled_at") var cancelledAt: Date?

    init() {}
}

/// Materials the organisers attach after the event: a link (a recording) or a file (slides).
final class EventMaterial: Model, @unchecked Sendable {
    static let schema = "event_materials"

    @ID(key: .id) var id: UUID?
    @Field(key: "event_id") var eventID: UUID
    @Field(key: "title") var title: String
    @OptionalField(key: "url") var url: String?
    @OptionalField(key: "file_key") var fileKey: String?
    @OptionalField(key: "file_sha256") var fileSHA256: String?
    @OptionalField(key: "file_name") var fileName: String?
    @OptionalField(key: "content_type") var contentType: String?
    @OptionalField(key: "size") var size: Int?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}
