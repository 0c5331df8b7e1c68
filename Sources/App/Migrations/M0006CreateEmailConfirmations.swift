import Fluent

struct M0006CreateEmailConfirmations: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("email_confirmations")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("email", .string, .required)
            .field("token_hash", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .field("created_at", .datetime)
            .unique(on: "token_hash")
            .create()
        try await database.createIndex("email_confirmations_user_idx", on: "email_confirmations", columns: ["user_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("email_confirmations").delete()
    }
}
