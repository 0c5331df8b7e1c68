import Fluent

/// Events (issue 10 item 1): joint events of agencies, seen by the organisers' staff, and public events
/// on the portal with sign-up. `confirmed_count` is the seats taken, kept beside the capacity so a seat
/// is taken with one conditional update however many people sign up at once. A registration's contact
/// key (normalised email or phone) is unique per event; a person who cancelled and comes back gets the
/// same row again. Mail gets an optional attachment (the .ics of the confirmation).
struct M0032CreateEvents: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("events")
            .id()
            .field("slug", .string, .required)
            .field("audience", .string, .required)
            .field("format", .string, .required)
            .field("status", .string, .required)
            .field("title", .string, .required)
            .field("description", .string, .required)
            .field("sphere", .string)
            .field("place", .string, .required)
            .field("online_url", .string)
            .field("starts_at", .datetime, .required)
            .field("ends_at", .datetime, .required)
            .field("capacity", .int)
            .field("confirmed_count", .int, .required)
            .field("sequence", .int, .required)
            .field("attendees", .int)
            .field("report", .string)
            .field("created_by", .uuid)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "slug")
            .create()
        try await database.createIndex("events_calendar_idx", on: "events", columns: ["audience", "status", "starts_at"])
        try await database.createIndex("events_sphere_idx", on: "events", columns: ["sphere", "starts_at"])
        try await database.schema("event_organisers")
            .id()
            .field("event_id", .uuid, .required, .references("events", "id", onDelete: .cascade))
            .field("organisation_id", .uuid, .required, .references("organisations", "id"))
            .unique(on: "event_id", "organisation_id")
            .create()
        try await database.createIndex("event_organisers_org_idx", on: "event_organisers", columns: ["organisation_id"])
        try await database.schema("event_registrations")
            .id()
            .field("event_id", .uuid, .required, .references("events", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("email", .string)
            .field("phone", .string)
            .field("contact_key", .string, .required)
            .field("status", .string, .required)
            .field("queued_at", .datetime, .required)
            .field("cancel_token_hash", .string, .required)
            .field("reminded_at", .datetime)
            .field("consent_at", .datetime, .required)
            .field("created_at", .datetime, .required)
            .field("cancelled_at", .datetime)
            .unique(on: "event_id", "contact_key")
            .unique(on: "cancel_token_hash")
            .create()
        try await database.createIndex(
            "event_registrations_queue_idx", on: "event_registrations", columns: ["event_id", "status", "queued_at"])
        try await database.createIndex(
            "event_registrations_remind_idx", on: "event_registrations", columns: ["status", "reminded_at"])
        try await database.schema("event_materials")
            .id()
            .field("event_id", .uuid, .required, .references("events", "id", onDelete: .cascade))
            .field("title", .string, .required)
            .field("url", .string)
            .field("file_key", .string)
            .field("file_sha256", .string)
            .field("file_name", .string)
            .field("content_type", .string)
            .field("size", .int)
            .field("created_at", .datetime, .required)
            .create()
        try await database.createIndex("event_materials_event_idx", on: "event_materials", columns: ["event_id", "created_at"])
        // One column per statement: SQLite adds one at a time.
        for column in ["attachment_name", "attachment_type", "attachment_body"] {
            try await database.schema("mail_outbox").field(.string(column), .string).update()
        }
    }

    func revert(on database: any Database) async throws {
        for column in ["attachment_name", "attachment_type", "attachment_body"] {
            try await database.schema("mail_outbox").deleteField(.string(column)).update()
        }
        try await database.schema("event_materials").delete()
        try await database.schema("event_registrations").delete()
        try await database.schema("event_organisers").delete()
        try await database.schema("events").delete()
    }
}
