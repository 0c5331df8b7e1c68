import Fluent

/// Outgoing mail is written here in the same transaction as the change that causes it; a worker
/// delivers it. Nothing is lost on restart: a claimed message whose lease ran out is tried again.
struct M0008CreateMailOutbox: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("mail_outbox")
            .id()
            .field("recipient", .string, .required)
            .field("subject", .string, .required)
            .field("body_text", .string, .required)
            .field("message_id", .string, .required)
            .field("status", .string, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .datetime, .required)
            .field("locked_until", .datetime)
            .field("last_error", .string)
            .field("created_at", .datetime)
            .field("sent_at", .datetime)
            .create()
        try await database.createIndex("mail_outbox_due_idx", on: "mail_outbox", columns: ["status", "next_attempt_at"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("mail_outbox").delete()
    }
}
