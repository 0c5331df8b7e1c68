import Fluent

/// The chat-bot's learning (issue 7): phrasings specialists taught it for an FAQ entry, the word groups
/// they declared synonyms, and the questions it could not answer, waiting for a specialist.
struct M0019CreateBotTraining: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("bot_phrasings")
            .id()
            .field("faq_id", .uuid, .required, .references("faq_entries", "id", onDelete: .cascade))
            .field("text", .string, .required)
            .field("author_id", .uuid, .references("users", "id", onDelete: .setNull))
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema("bot_synonyms")
            .id()
            // Comma-separated words that mean the same to the bot; the first stands for the group.
            .field("words", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema("bot_unanswered")
            .id()
            .field("question", .string, .required)
            // The bot's best guess when it was unsure, for the specialist's convenience.
            .field("guess_faq_id", .uuid, .references("faq_entries", "id", onDelete: .setNull))
            .field("asked_at", .datetime, .required)
            // open → taught (linked to an entry) | dismissed
            .field("state", .string, .required)
            .field("faq_id", .uuid, .references("faq_entries", "id", onDelete: .setNull))
            .field("resolved_by", .uuid, .references("users", "id", onDelete: .setNull))
            .field("resolved_at", .datetime)
            .create()
        try await database.createIndex("bot_unanswered_queue_idx", on: "bot_unanswered", columns: ["state", "asked_at"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("bot_unanswered").delete()
        try await database.schema("bot_synonyms").delete()
        try await database.schema("bot_phrasings").delete()
    }
}
