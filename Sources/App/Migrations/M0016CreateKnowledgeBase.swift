import Fluent
import SQLKit

/// The portal's knowledge base (issue 6): articles with every saved revision, FAQ entries with their
/// views and «Помог ли ответ?» votes (one per visitor).
struct M0016CreateKnowledgeBase: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("kb_articles")
            .id()
            .field("slug", .string, .required)
            .field("sphere", .string, .required)
            .field("kind", .string, .required)
            .field("title", .string, .required)
            .field("summary", .string, .required)
            // Tags as «,a,b,» so one LIKE '%,tag,%' finds them.
            .field("tags", .string, .required)
            .field("body", .string, .required)
            .field("status", .string, .required)
            .field("visibility", .string, .required)
            .field("revision", .int, .required)
            .field("views", .int, .required, .sql(.default(0)))
            .field("author_id", .uuid, .references("users", "id", onDelete: .setNull))
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("published_at", .datetime)
            .unique(on: "slug")
            .create()
        // Lists by sphere and kind, newest first, only what the reader may see.
        try await database.createIndex(
            "kb_articles_list_idx", on: "kb_articles", columns: ["status", "visibility", "sphere", "kind", "published_at"])

        try await database.schema("kb_article_revisions")
            .id()
            .field("article_id", .uuid, .required, .references("kb_articles", "id", onDelete: .cascade))
            .field("revision", .int, .required)
            .field("slug", .string, .required)
            .field("sphere", .string, .required)
            .field("kind", .string, .required)
            .field("title", .string, .required)
            .field("summary", .string, .required)
            .field("tags", .string, .required)
            .field("body", .string, .required)
            .field("status", .string, .required)
            .field("visibility", .string, .required)
            .field("author_id", .uuid, .references("users", "id", onDelete: .setNull))
            .field("note", .string)
            .field("created_at", .datetime, .required)
            .unique(on: "article_id", "revision")
            .create()

        try await database.schema("faq_entries")
            .id()
            .field("slug", .string, .required)
            .field("sphere", .string, .required)
            .field("question", .string, .required)
            .field("answer", .string, .required)
            // One legal reference per line.
            .field("references", .string, .required)
            .field("status", .string, .required)
            .field("views", .int, .required, .sql(.default(0)))
            .field("helpful", .int, .required, .sql(.default(0)))
            .field("unhelpful", .int, .required, .sql(.default(0)))
            .field("author_id", .uuid, .references("users", "id", onDelete: .setNull))
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "slug")
            .create()
        try await database.createIndex("faq_entries_list_idx", on: "faq_entries", columns: ["status", "sphere"])

        try await database.schema("faq_votes")
            .id()
            .field("faq_id", .uuid, .required, .references("faq_entries", "id", onDelete: .cascade))
            // «u:<user id>» for a signed-in person, «v:<visitor cookie>» otherwise.
            .field("voter", .string, .required)
            .field("helpful", .bool, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "faq_id", "voter")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("faq_votes").delete()
        try await database.schema("faq_entries").delete()
        try await database.schema("kb_article_revisions").delete()
        try await database.schema("kb_articles").delete()
    }
}
