import Fluent

/// A first sign-in through the provider waits here for the person's consent to the processing of their
/// personal data (152-ФЗ), which every new account gives: what the provider said (verified), for ten
/// minutes, bound to the browser by a cookie (hashed), used once.
struct M0030CreateExternalSignUps: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("oidc_signups")
            .id()
            .field("token_hash", .string, .required)
            .field("provider", .string, .required)
            .field("claims", .string, .required)
            .field("keep_email", .bool, .required)
            .field("next", .string)
            .field("created_at", .datetime, .required)
            .unique(on: "token_hash")
            .create()
        try await database.createIndex("oidc_signups_created_idx", on: "oidc_signups", columns: ["created_at"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("oidc_signups").delete()
    }
}
