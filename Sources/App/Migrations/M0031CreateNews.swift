import Fluent

/// News of the portal (issue 10 item 2): written by editors in Markdown, published on a date (a later
/// date keeps the item back until then), per sphere or general. Indexed for the newest-first lists and
/// feeds, all and per sphere.
struct M0031CreateNews: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("news_items")
            .id()
            .field("slug", .string, .required)
            .field("sphere", .string)
            .field("title", .string, .required)
            .field("summary", .string, .required)
            .field("body", .string, .required)
            .field("published", .bool, .required)
            .field("publish_at", .datetime, .required)
            .field("author_id", .uuid)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "slug")
            .create()
        try await database.createIndex("news_items_feed_idx", on: "news_items", columns: ["published", "publish_at"])
        try await database.createIndex("news_items_sphere_idx", on: "news_items", columns: ["sphere", "published", "publish_at"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("news_items").delete()
    }
}
