import Fluent

/// Who read which appeal card with the applicant's personal data, and when (issue 11 item 4): every
/// read by someone other than the applicant is recorded, and platform admins see the log.
struct M0035CreatePersonalDataReads: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("personal_data_reads")
            .id()
            .field("at", .datetime, .required)
            .field("user_id", .uuid, .required, .references("users", "id"))
            .field("appeal_id", .uuid, .required, .references("appeals", "id", onDelete: .cascade))
            .field("appeal_number", .string, .required)
            .field("via", .string, .required)
            .field("address", .string, .required)
            .create()
        // The log is read newest first, whole or for one appeal or one reader.
        try await database.createIndex("personal_data_reads_at", on: "personal_data_reads", columns: ["at", "id"])
        try await database.createIndex("personal_data_reads_appeal", on: "personal_data_reads", columns: ["appeal_number", "at"])
        try await database.createIndex("personal_data_reads_user", on: "personal_data_reads", columns: ["user_id", "at"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("personal_data_reads").delete()
    }
}
