import Fluent

/// Routing rules: (subcategory | category | any) × (territory | region-wide) → organisation. `key`
/// holds the rule's subject and place, unique, so two rules can never contradict each other (a
/// plain unique index would let NULLs through).
struct M0011CreateRoutingRules: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("routing_rules")
            .id()
            .field("key", .string, .required)
            .field("category_code", .string)
            .field("subcategory_code", .string)
            .field("territory_id", .uuid, .references("territories", "id", onDelete: .cascade))
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .restrict))
            .field("created_by", .uuid, .references("users", "id", onDelete: .setNull))
            .field("created_at", .datetime)
            .unique(on: "key")
            .create()
        try await database.createIndex("routing_rules_organisation_idx", on: "routing_rules", columns: ["organisation_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("routing_rules").delete()
    }
}
