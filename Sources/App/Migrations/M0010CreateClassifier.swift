import Fluent

/// The classifier. Items are never deleted (appeals point at them): an item missing from a new
/// import is retired. Every change is written to `classifier_history`.
struct M0010CreateClassifier: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("categories")
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("sphere", .string)
            .field("position", .int, .required)
            .field("is_retired", .bool, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "code")
            .create()

        try await database.schema("subcategories")
            .id()
            .field("category_id", .uuid, .required, .references("categories", "id", onDelete: .restrict))
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("kind", .string, .required)
            .field("answer_days", .int, .required)
            .field("day_type", .string, .required)
            .field("coordination_days", .int, .required)
            .field("moderation_days", .int, .required)
            .field("fast_track", .bool, .required)
            .field("keywords", .string, .required)
            .field("questions", .string, .required)
            .field("position", .int, .required)
            .field("is_retired", .bool, .required)
            .field("version", .int, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "code")
            .create()
        try await database.createIndex("subcategories_category_idx", on: "subcategories", columns: ["category_id", "position"])

        try await database.schema("classifier_history")
            .id()
            .field("item_kind", .string, .required)
            .field("code", .string, .required)
            .field("action", .string, .required)
            .field("before", .string)
            .field("after", .string)
            .field("user_id", .uuid, .references("users", "id", onDelete: .setNull))
            .field("source", .string, .required)
            .field("at", .datetime, .required)
            .create()
        try await database.createIndex("classifier_history_code_idx", on: "classifier_history", columns: ["code", "at"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("classifier_history").delete()
        try await database.schema("subcategories").delete()
        try await database.schema("categories").delete()
    }
}
