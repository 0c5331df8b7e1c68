import Fluent
import SQLKit

/// The statistics' triggers now record the changed row itself: on an update the old version with sign
/// −1 and the new with +1, on an insert the new, on a delete the old. The fold then subtracts and adds
/// contributions straight from these rows, and never reads the appeal again nor keeps each appeal's last
/// contribution (`stat_contributions`, a second copy of every appeal keyed by a random UUID, made a
/// million-appeal fold crawl through page misses). Updates that change nothing the statistics read
/// record nothing.
struct M0024StatisticsChangeRows: AsyncMigration {
    static let appealColumns = [
        "id", "registered_at", "executor_organisation_id", "status", "channel", "sphere", "category_code", "subcategory_code",
        "territory_id", "locality", "conflict_inn", "conflict_name", "outcome", "help_kind", "money_returned", "answered_at",
        "answer_due_at", "extended_days", "postponements", "rating", "rated_at", "executor_id", "assigned_at",
    ]
    static let contactColumns = ["id", "kind", "occurred_at", "organisation_id", "operator_id", "sphere", "help_kind", "result", "money_returned"]

    func prepare(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        let postgres = sql.dialect.name == "postgresql"
        // The old triggers and their bookkeeping.
        if postgres {
            try await sql.raw("DROP TRIGGER IF EXISTS appeals_stat ON appeals").run()
            try await sql.raw("DROP TRIGGER IF EXISTS contacts_stat ON contacts").run()
            try await sql.raw("DROP FUNCTION IF EXISTS stat_note_appeal()").run()
            try await sql.raw("DROP FUNCTION IF EXISTS stat_note_contact()").run()
        } else {
            for table in ["appeals", "contacts"] {
                for event in ["insert", "update", "delete"] {
                    try await sql.raw(SQLQueryString("DROP TRIGGER IF EXISTS \(unsafeRaw: table)_stat_\(unsafeRaw: event)")).run()
                }
            }
        }
        try await database.schema("stat_contributions").delete()
        try await database.schema("stat_dirty").delete()

        // The change rows: the same columns as the source (types included), a sign and an order.
        try await database.schema("stat_appeal_changes")
            .field("seq", .int64, .identifier(auto: true))
            .field("sign", .int, .required)
            .field("id", .uuid, .required)
            .field("registered_at", .datetime, .required)
            .field("executor_organisation_id", .uuid)
            .field("status", .string, .required)
            .field("channel", .string, .required)
            .field("sphere", .string)
            .field("category_code", .string, .required)
            .field("subcategory_code", .string, .required)
            .field("territory_id", .uuid, .required)
            .field("locality", .string)
            .field("conflict_inn", .string)
            .field("conflict_name", .string)
            .field("outcome", .string)
            .field("help_kind", .string)
            .field("money_returned", .int64)
            .field("answered_at", .datetime)
            .field("answer_due_at", .datetime, .required)
            .field("extended_days", .int)
            .field("postponements", .int)
            .field("rating", .int)
            .field("rated_at", .datetime)
            .field("executor_id", .uuid)
            .field("assigned_at", .datetime)
            .create()
        try await database.schema("stat_contact_changes")
            .field("seq", .int64, .identifier(auto: true))
            .field("sign", .int, .required)
            .field("id", .uuid, .required)
            .field("kind", .string, .required)
            .field("occurred_at", .datetime, .required)
            .field("organisation_id", .uuid)
            .field("operator_id", .uuid)
            .field("sphere", .string)
            .field("help_kind", .string, .required)
            .field("result", .string, .required)
            .field("money_returned", .int64)
            .create()

        for (table, changes, columns) in [
            ("appeals", "stat_appeal_changes", Self.appealColumns), ("contacts", "stat_contact_changes", Self.contactColumns),
        ] {
            let list = columns.joined(separator: ", ")
            func values(_ row: String) -> String { columns.map { "\(row).\($0)" }.joined(separator: ", ") }
            // Only what the statistics read (the id never changes).
            let changed = columns.dropFirst().map { "OLD.\($0) IS DISTINCT FROM NEW.\($0)" }.joined(separator: " OR ")
            if postgres {
                try await sql.raw(SQLQueryString("""
                    CREATE OR REPLACE FUNCTION \(unsafeRaw: changes)_note() RETURNS trigger AS $$
                    BEGIN
                        IF TG_OP <> 'INSERT' THEN
                            INSERT INTO \(unsafeRaw: changes) (sign, \(unsafeRaw: list)) VALUES (-1, \(unsafeRaw: values("OLD")));
                        END IF;
                        IF TG_OP <> 'DELETE' THEN
                            INSERT INTO \(unsafeRaw: changes) (sign, \(unsafeRaw: list)) VALUES (1, \(unsafeRaw: values("NEW")));
                        END IF;
                        RETURN NULL;
                    END $$ LANGUAGE plpgsql
                    """)).run()
                try await sql.raw(SQLQueryString("""
                    CREATE TRIGGER \(unsafeRaw: table)_stat_insert_delete AFTER INSERT OR DELETE ON \(unsafeRaw: table)
                    FOR EACH ROW EXECUTE FUNCTION \(unsafeRaw: changes)_note()
                    """)).run()
                try await sql.raw(SQLQueryString("""
                    CREATE TRIGGER \(unsafeRaw: table)_stat_update AFTER UPDATE ON \(unsafeRaw: table)
                    FOR EACH ROW WHEN (\(unsafeRaw: changed)) EXECUTE FUNCTION \(unsafeRaw: changes)_note()
                    """)).run()
            } else {
                let sqliteChanged = columns.dropFirst().map { "OLD.\($0) IS NOT NEW.\($0)" }.joined(separator: " OR ")
                try await sql.raw(SQLQueryString("""
                    CREATE TRIGGER \(unsafeRaw: table)_stat_insert AFTER INSERT ON \(unsafeRaw: table)
                    BEGIN INSERT INTO \(unsafeRaw: changes) (sign, \(unsafeRaw: list)) VALUES (1, \(unsafeRaw: values("NEW"))); END
                    """)).run()
                try await sql.raw(SQLQueryString("""
                    CREATE TRIGGER \(unsafeRaw: table)_stat_delete AFTER DELETE ON \(unsafeRaw: table)
                    BEGIN INSERT INTO \(unsafeRaw: changes) (sign, \(unsafeRaw: list)) VALUES (-1, \(unsafeRaw: values("OLD"))); END
                    """)).run()
                try await sql.raw(SQLQueryString("""
                    CREATE TRIGGER \(unsafeRaw: table)_stat_update AFTER UPDATE ON \(unsafeRaw: table) WHEN \(unsafeRaw: sqliteChanged)
                    BEGIN
                        INSERT INTO \(unsafeRaw: changes) (sign, \(unsafeRaw: list)) VALUES (-1, \(unsafeRaw: values("OLD")));
                        INSERT INTO \(unsafeRaw: changes) (sign, \(unsafeRaw: list)) VALUES (1, \(unsafeRaw: values("NEW")));
                    END
                    """)).run()
            }
            // Start over from the register as it is: the sums are rebuilt by the first fold.
            try await sql.raw(SQLQueryString(
                "INSERT INTO \(unsafeRaw: changes) (sign, \(unsafeRaw: list)) SELECT 1, \(unsafeRaw: list) FROM \(unsafeRaw: table)")).run()
        }
        try await sql.raw("DELETE FROM stat_counts").run()
    }

    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        if sql.dialect.name == "postgresql" {
            for table in ["appeals", "contacts"] {
                try await sql.raw(SQLQueryString("DROP TRIGGER IF EXISTS \(unsafeRaw: table)_stat_insert_delete ON \(unsafeRaw: table)")).run()
                try await sql.raw(SQLQueryString("DROP TRIGGER IF EXISTS \(unsafeRaw: table)_stat_update ON \(unsafeRaw: table)")).run()
            }
            try await sql.raw("DROP FUNCTION IF EXISTS stat_appeal_changes_note()").run()
            try await sql.raw("DROP FUNCTION IF EXISTS stat_contact_changes_note()").run()
        } else {
            for table in ["appeals", "contacts"] {
                for event in ["insert", "update", "delete"] {
                    try await sql.raw(SQLQueryString("DROP TRIGGER IF EXISTS \(unsafeRaw: table)_stat_\(unsafeRaw: event)")).run()
                }
            }
        }
        try await database.schema("stat_contact_changes").delete()
        try await database.schema("stat_appeal_changes").delete()
        // Empty again, as M0022 left them (its revert drops them).
        try await database.schema("stat_dirty")
            .field("seq", .int64, .identifier(auto: true)).field("source", .string, .required).field("ref", .uuid, .required).create()
        try await database.schema("stat_contributions")
            .field("source", .string, .required).field("ref", .uuid, .required).field("keys", .string, .required)
            .unique(on: "source", "ref").create()
    }
}
