import Fluent

/// Files attached to appeals. The bytes live in the file store (outside the database); a row keeps
/// where, what kind, how large and the SHA-256 the bytes must still have when read back.
struct M0013CreateAppealAttachments: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("appeal_attachments")
            .id()
            .field("appeal_id", .uuid, .required, .references("appeals", "id", onDelete: .cascade))
            .field("position", .int, .required)
            .field("file_name", .string, .required)
            .field("kind", .string, .required)
            .field("size", .int, .required)
            .field("sha256", .string, .required)
            .field("storage_key", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "storage_key")
            .unique(on: "appeal_id", "position")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("appeal_attachments").delete()
    }
}
