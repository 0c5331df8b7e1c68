import Fluent
import SQLKit

/// Statistics and reports (issue 8): the figures the register must hold (kind of help, money returned,
/// sphere, postponements), contacts that are not appeals (hotline calls, chats, visits), and the monthly
/// sums every dashboard and report reads.
///
/// The sums are kept exact without touching the write paths: a trigger on `appeals` and `contacts`
/// notes each changed row in `stat_dirty` (append-only, so concurrent writers never wait on each
/// other), and the statistics fold (`StatisticsStore.fold`) moves those rows' contributions into
/// `stat_counts`, remembering each source's last contribution in `stat_contributions`.
struct M0022CreateStatistics: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // SQLite adds one column per ALTER TABLE.
        let columns: [(String, DatabaseSchema.DataType, [DatabaseSchema.FieldConstraint])] = [
            ("sphere", .string, []),
            ("help_kind", .string, []),
            ("money_returned", .int64, []),
            ("postponements", .int, [.required, .sql(.default(0))]),
        ]
        for (name, type, constraints) in columns {
            try await database.schema("appeals")
                .field(.definition(name: .key(FieldKey(stringLiteral: name)), dataType: type, constraints: constraints))
                .update()
        }
        try await database.schema("appeal_answers").field("help_kind", .string).update()
        try await database.schema("appeal_answers").field("money_returned", .int64).update()

        try await database.schema("contacts")
            .id()
            .field("kind", .string, .required)
            .field("occurred_at", .datetime, .required)
            .field("organisation_id", .uuid, .references("organisations", "id", onDelete: .setNull))
            .field("operator_id", .uuid, .references("users", "id", onDelete: .setNull))
            .field("sphere", .string)
            .field("help_kind", .string, .required)
            .field("result", .string, .required)
            .field("money_returned", .int64)
            .field("note", .string)
            .field("consultation_id", .uuid, .references("consultations", "id", onDelete: .setNull))
            .field("created_at", .datetime, .required)
            .unique(on: "consultation_id")
            .create()
        try await database.createIndex("contacts_org_idx", on: "contacts", columns: ["organisation_id", "occurred_at"])
        try await database.createIndex("contacts_occurred_idx", on: "contacts", columns: ["occurred_at"])
        try await database.schema("consultations").field("sphere", .string).update()

        try await database.schema("stat_dirty")
            .field("seq", .int64, .identifier(auto: true))
            .field("source", .string, .required)
            .field("ref", .uuid, .required)
            .create()
        try await database.schema("stat_contributions")
            .field("source", .string, .required)
            .field("ref", .uuid, .required)
            .field("keys", .string, .required)
            .unique(on: "source", "ref")
            .create()
        try await database.schema("stat_counts")
            .field("month", .int, .required)
            // The zero UUID for «no organisation yet» (a unique index treats NULLs as all different).
            .field("organisation_id", .uuid, .required)
            .field("dimension", .string, .required)
            .field("value", .string, .required)
            .field("count", .int64, .required)
            .field("amount", .int64, .required)
            .field("seconds", .int64, .required)
            .unique(on: "dimension", "month", "organisation_id", "value")
            .create()
        // Drill-downs, company names and the appeals of a locality.
        try await database.createIndex("appeals_registered_idx", on: "appeals", columns: ["registered_at"])
        try await database.createIndex("appeals_answered_idx", on: "appeals", columns: ["answered_at"])
        try await database.createIndex("appeals_rated_idx", on: "appeals", columns: ["rated_at"])
        try await database.createIndex("appeals_assigned_idx", on: "appeals", columns: ["assigned_at"])
        try await database.createIndex("appeals_conflict_inn_idx", on: "appeals", columns: ["conflict_inn"])

        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("""
            UPDATE appeals SET sphere = (SELECT categories.sphere FROM categories WHERE categories.code = appeals.category_code)
            """).run()
        if sql.dialect.name == "postgresql" {
            for (table, source) in [("appeals", "appeal"), ("contacts", "contact")] {
                try await sql.raw(SQLQueryString("""
                    CREATE OR REPLACE FUNCTION stat_note_\(unsafeRaw: source)() RETURNS trigger AS $$
                    BEGIN
                        IF TG_OP = 'DELETE' THEN
                            INSERT INTO stat_dirty (source, ref) VALUES ('\(unsafeRaw: source)', OLD.id);
                            RETURN OLD;
                        END IF;
                        INSERT INTO stat_dirty (source, ref) VALUES ('\(unsafeRaw: source)', NEW.id);
                        RETURN NEW;
                    END $$ LANGUAGE plpgsql
                    """)).run()
                try await sql.raw(SQLQueryString("""
                    CREATE TRIGGER \(unsafeRaw: table)_stat AFTER INSERT OR UPDATE OR DELETE ON \(unsafeRaw: table)
                    FOR EACH ROW EXECUTE FUNCTION stat_note_\(unsafeRaw: source)()
                    """)).run()
            }
        } else {
            for (table, source) in [("appeals", "appeal"), ("contacts", "contact")] {
                for event in ["INSERT", "UPDATE"] {
                    try await sql.raw(SQLQueryString("""
                        CREATE TRIGGER \(unsafeRaw: table)_stat_\(unsafeRaw: event.lowercased()) AFTER \(unsafeRaw: event) ON \(unsafeRaw: table)
                        BEGIN INSERT INTO stat_dirty (source, ref) VALUES ('\(unsafeRaw: source)', NEW.id); END
                        """)).run()
                }
                try await sql.raw(SQLQueryString("""
                    CREATE TRIGGER \(unsafeRaw: table)_stat_delete AFTER DELETE ON \(unsafeRaw: table)
                    BEGIN INSERT INTO stat_dirty (source, ref) VALUES ('\(unsafeRaw: source)', OLD.id); END
                    """)).run()
            }
        }
        // Appeals already in the register are counted by the first fold.
        try await sql.raw("INSERT INTO stat_dirty (source, ref) SELECT 'appeal', id FROM appeals").run()
    }

    func revert(on database: any Database) async throws {
        if let sql = database as? any SQLDatabase {
            if sql.dialect.name == "postgresql" {
                try await sql.raw("DROP TRIGGER IF EXISTS appeals_stat ON appeals").run()
                try await sql.raw("DROP TRIGGER IF EXISTS contacts_stat ON contacts").run()
                try await sql.raw("DROP FUNCTION IF EXISTS stat_note_appeal()").run()
                try await sql.raw("DROP FUNCTION IF EXISTS stat_note_contact()").run()
            } else {
                for name in ["appeals", "contacts"].flatMap({ table in ["insert", "update", "delete"].map { "\(table)_stat_\($0)" } }) {
                    try await sql.raw(SQLQueryString("DROP TRIGGER IF EXISTS \(unsafeRaw: name)")).run()
                }
            }
        }
        for table in ["stat_counts", "stat_contributions", "stat_dirty", "contacts"] {
            try await database.schema(table).delete()
        }
        try await database.schema("consultations").deleteField("sphere").update()
        try await database.schema("appeal_answers").deleteField("help_kind").update()
        try await database.schema("appeal_answers").deleteField("money_returned").update()
        for name in ["sphere", "help_kind", "money_returned", "postponements"] {
            try await database.schema("appeals").deleteField(.key(FieldKey(stringLiteral: name))).update()
        }
    }
}
