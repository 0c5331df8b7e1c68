import Fluent

struct M0001CreateTerritoriesAndSpheres: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("territories")
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("kind", .string, .required)
            .field("parent_id", .uuid, .references("territories", "id", onDelete: .restrict))
            .field("created_at", .datetime)
            .unique(on: "code")
            .create()
        try await database.createIndex("territories_parent_idx", on: "territories", columns: ["parent_id"])

        try await database.schema("spheres")
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("position", .int, .required)
            .unique(on: "code")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("spheres").delete()
        try await database.schema("territories").delete()
    }
}
