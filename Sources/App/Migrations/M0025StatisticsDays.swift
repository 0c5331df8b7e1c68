import Fluent
import SQLKit

/// Daily sums beside the monthly ones (issue 8): a period that does not start on the 1st or end on a
/// month's last day reads its edge days from `stat_day_counts` instead of recounting appeals from the
/// register, so any period costs the same whatever the size of the register.
///
/// `day` is the region's local date as `yyyymmdd`; `day / 100` is the month code of `stat_counts`.
struct M0025StatisticsDays: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("stat_day_counts")
            .field("day", .int, .required)
            // The zero UUID for «no organisation yet», as in `stat_counts`.
            .field("organisation_id", .uuid, .required)
            .field("dimension", .string, .required)
            .field("value", .string, .required)
            .field("count", .int64, .required)
            .field("amount", .int64, .required)
            .field("seconds", .int64, .required)
            .unique(on: "dimension", "day", "organisation_id", "value")
            .create()
        guard let sql = database as? any SQLDatabase else { return }
        // Both sums start over from the register, so they agree: the next fold fills them.
        try await sql.raw("DELETE FROM stat_counts").run()
        for (table, changes, columns) in [
            ("appeals", "stat_appeal_changes", M0024StatisticsChangeRows.appealColumns),
            ("contacts", "stat_contact_changes", M0024StatisticsChangeRows.contactColumns),
        ] {
            let list = columns.joined(separator: ", ")
            try await sql.raw(SQLQueryString("DELETE FROM \(unsafeRaw: changes)")).run()
            try await sql.raw(SQLQueryString(
                "INSERT INTO \(unsafeRaw: changes) (sign, \(unsafeRaw: list)) SELECT 1, \(unsafeRaw: list) FROM \(unsafeRaw: table)")).run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("stat_day_counts").delete()
    }
}
