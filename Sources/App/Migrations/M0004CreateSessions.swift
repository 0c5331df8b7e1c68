import Fluent

/// Signed-in browser sessions live in the database (the key hashed) so that they survive a restart and are shared by several nodes.
struct M0004CreateSessions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("sessions")
            .id()
            .field("key", .string, .required)
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("ip", .string)
            .field("expires_at", .datetime, .required)
            .field("created_at", .datetime)
            .unique(on: "key")
            .create()
        try await database.createIndex("sessions_expires_idx", on: "sessions", columns: ["expires_at"])
        try await database.createIndex("sessions_user_idx", on: "sessions", columns: ["user_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("sessions").delete()
    }
}
