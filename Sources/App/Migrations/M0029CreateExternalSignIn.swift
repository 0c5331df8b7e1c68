import Fluent
import SQLKit

/// Sign-in through an OpenID Connect provider (issue 9 item 4). `oidc_attempts` holds a sign-in between
/// the redirect to the provider and its return: the state (hashed), the nonce, the PKCE verifier and the
/// browser it belongs to (hashed cookie), for ten minutes, used once. `user_identities` links the
/// provider's subject to the citizen's account.
struct M0029CreateExternalSignIn: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("oidc_attempts")
            .id()
            .field("state_hash", .string, .required)
            .field("browser_hash", .string, .required)
            .field("nonce", .string, .required)
            .field("code_verifier", .string, .required)
            .field("next", .string)
            .field("created_at", .datetime, .required)
            .unique(on: "state_hash")
            .create()
        try await database.createIndex("oidc_attempts_created_idx", on: "oidc_attempts", columns: ["created_at"])
        try await database.schema("user_identities")
            .id()
            .field("provider", .string, .required)
            .field("subject", .string, .required)
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("snils", .string)
            .field("created_at", .datetime, .required)
            .field("last_sign_in_at", .datetime, .required)
            .unique(on: "provider", "subject")
            .create()
        try await database.createIndex("user_identities_user_idx", on: "user_identities", columns: ["user_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("user_identities").delete()
        try await database.schema("oidc_attempts").delete()
    }
}
