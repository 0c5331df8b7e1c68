import Fluent

/// The municipal rating (issue 10 item 3): each territory's population (editable; contacts are counted
/// per 10,000 residents) and the rating's settings — the weights of the indicators and the method note
/// printed beside the table — in one row, changed by admins.
struct M0033CreateMunicipalRating: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("territories").field("population", .int).update()
        try await database.schema("rating_settings")
            .id()
            .field("key", .string, .required)
            .field("weights_json", .string, .required)
            .field("method_note", .string, .required)
            .field("updated_by", .uuid)
            .field("updated_at", .datetime, .required)
            .unique(on: "key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("rating_settings").delete()
        try await database.schema("territories").deleteField("population").update()
    }
}
