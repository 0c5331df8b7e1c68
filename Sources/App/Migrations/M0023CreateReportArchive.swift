import Fluent

/// Each closed period's reports, stored by the monthly job so staff download them later as they were
/// (issue 8 item 4).
struct M0023CreateReportArchive: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("report_archive")
            .id()
            // The zero UUID for the region as a whole (a unique index treats NULLs as all different).
            .field("organisation_id", .uuid, .required)
            .field("period_kind", .string, .required)
            .field("period_from", .string, .required)
            .field("period_to", .string, .required)
            .field("format", .string, .required)
            .field("file_name", .string, .required)
            .field("content", .data, .required)
            .field("size", .int, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "organisation_id", "period_from", "period_to", "format")
            .create()
        try await database.createIndex("report_archive_period_idx", on: "report_archive", columns: ["period_from", "organisation_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("report_archive").delete()
    }
}
