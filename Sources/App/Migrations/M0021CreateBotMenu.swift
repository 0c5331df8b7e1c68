import Fluent

/// The chat-bot's menu tree (sphere → topic → answer) that specialists edit (issue 7).
struct M0021CreateBotMenu: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("bot_menu_items")
            .id()
            .field("parent_id", .uuid, .references("bot_menu_items", "id", onDelete: .cascade))
            .field("title", .string, .required)
            .field("answer", .string)
            .field("url", .string)
            .field("position", .int, .required)
            .field("updated_by", .uuid, .references("users", "id", onDelete: .setNull))
            .field("updated_at", .datetime, .required)
            .create()
        try await database.createIndex("bot_menu_parent_idx", on: "bot_menu_items", columns: ["parent_id", "position"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("bot_menu_items").delete()
    }
}
