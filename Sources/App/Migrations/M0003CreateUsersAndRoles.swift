import Fluent

struct M0003CreateUsersAndRoles: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("users")
            .id()
            .field("email", .string)
            .field("phone", .string)
            .field("password_hash", .string, .required)
            .field("surname", .string, .required)
            .field("name", .string, .required)
            .field("patronymic", .string)
            .field("email_confirmed_at", .datetime)
            .field("is_active", .bool, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "email")
            .unique(on: "phone")
            .create()
        try await database.createIndex("users_surname_idx", on: "users", columns: ["surname", "name"])

        try await database.schema("role_grants")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("organisation_id", .uuid, .references("organisations", "id", onDelete: .cascade))
            .field("role", .string, .required)
            .field("granted_by", .uuid, .references("users", "id", onDelete: .setNull))
            .field("created_at", .datetime)
            .unique(on: "user_id", "organisation_id", "role")
            .create()
        try await database.createIndex("role_grants_organisation_idx", on: "role_grants", columns: ["organisation_id", "role"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("role_grants").delete()
        try await database.schema("users").delete()
    }
}
