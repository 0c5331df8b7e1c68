import Fluent
import SQLKit

/// The sites allowed to embed the submission widget (issue 9 item 2): the widget's frame names them in
/// its Content-Security-Policy `frame-ancestors`, and an appeal filed through it records the site.
/// A site may be tied to one organisation (its own municipal site) or serve any. Also the index Open311's
/// `GET requests?service_code=` reads newest first.
struct M0027CreateWidgetSites: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("widget_sites")
            .id()
            .field("origin", .string, .required)
            .field("organisation_id", .uuid, .references("organisations", "id", onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .field("created_by", .uuid)
            .unique(on: "origin")
            .create()
        try await database.createIndex("appeals_subcategory_registered_idx", on: "appeals", columns: ["subcategory_code", "registered_at"])
    }

    func revert(on database: any Database) async throws {
        if let sql = database as? any SQLDatabase { try await sql.drop(index: "appeals_subcategory_registered_idx").run() }
        try await database.schema("widget_sites").delete()
    }
}
