import Fluent

/// Claims the portal composed: the checked form behind an unguessable link, so the citizen can print
/// it, download it as DOCX and attach it to a new appeal. Kept 30 days (housekeeping).
struct M0018CreateClaimDrafts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("claim_drafts")
            .id()
            // SHA-256 of the link's token: a copy of the database does not open anyone's claim.
            .field("token_hash", .string, .required)
            .field("type", .string, .required)
            // The form as submitted (ClaimInput as JSON): the document is made from it again on demand.
            .field("input", .string, .required)
            .field("owner_id", .uuid, .references("users", "id", onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .unique(on: "token_hash")
            .create()
        try await database.createIndex("claim_drafts_created_idx", on: "claim_drafts", columns: ["created_at"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("claim_drafts").delete()
    }
}
