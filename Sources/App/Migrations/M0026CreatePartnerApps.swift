import Fluent
import SQLKit

/// Interoperability (issue 9): partner applications that file appeals over Open311 with an API key
/// issued by an admin, and what an appeal filed from outside remembers — the partner application or
/// embedding site it came through and the point it was reported at. Territories get a centre, so a
/// point (Open311's lat/long) is placed in the nearest one.
struct M0026CreatePartnerApps: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("partner_apps")
            .id()
            .field("name", .string, .required)
            .field("contact", .string)
            // SHA-256 of the key; the key itself is shown once, when issued.
            .field("key_hash", .string, .required)
            .field("key_hint", .string, .required)
            .field("created_at", .datetime, .required)
            .field("created_by", .uuid)
            .field("revoked_at", .datetime)
            .unique(on: "key_hash")
            .create()
        // SQLite adds one column per ALTER TABLE.
        for (name, type) in [("source", DatabaseSchema.DataType.string), ("partner_app_id", .uuid), ("latitude", .double), ("longitude", .double)] {
            try await database.schema("appeals").field(FieldKey(stringLiteral: name), type).update()
        }
        for name in ["latitude", "longitude"] {
            try await database.schema("territories").field(FieldKey(stringLiteral: name), .double).update()
        }
        try await database.createIndex("appeals_partner_idx", on: "appeals", columns: ["partner_app_id", "registered_at"])
        guard let sql = database as? any SQLDatabase else { return }
        for (code, centre) in ReferenceData.centres {
            try await sql.update("territories").set("latitude", to: centre.latitude).set("longitude", to: centre.longitude)
                .where("code", .equal, code).run()
        }
    }

    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.drop(index: "appeals_partner_idx").run()
        for name in ["source", "partner_app_id", "latitude", "longitude"] {
            try await database.schema("appeals").deleteField(FieldKey(stringLiteral: name)).update()
        }
        for name in ["latitude", "longitude"] {
            try await database.schema("territories").deleteField(FieldKey(stringLiteral: name)).update()
        }
        try await database.schema("partner_apps").delete()
    }
}
