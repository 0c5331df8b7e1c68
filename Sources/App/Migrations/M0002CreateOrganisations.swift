import Fluent

struct M0002CreateOrganisations: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("organisations")
            .id()
            .field("name", .string, .required)
            .field("short_name", .string, .required)
            .field("kind", .string, .required)
            .field("parent_id", .uuid, .references("organisations", "id", onDelete: .restrict))
            .field("inn", .string)
            .field("email", .string)
            .field("phone", .string)
            .field("address", .string)
            .field("is_active", .bool, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "name")
            .create()
        try await database.createIndex("organisations_parent_idx", on: "organisations", columns: ["parent_id"])

        try await database.schema("organisation_territories")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("territory_id", .uuid, .required, .references("territories", "id", onDelete: .cascade))
            .unique(on: "organisation_id", "territory_id")
            .create()
        try await database.createIndex(
            "organisation_territories_territory_idx", on: "organisation_territories", columns: ["territory_id"])

        try await database.schema("organisation_spheres")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("sphere_id", .uuid, .required, .references("spheres", "id", onDelete: .cascade))
            .unique(on: "organisation_id", "sphere_id")
            .create()
        try await database.createIndex(
            "organisation_spheres_sphere_idx", on: "organisation_spheres", columns: ["sphere_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("organisation_spheres").delete()
        try await database.schema("organisation_territories").delete()
        try await database.schema("organisations").delete()
    }
}
