import Fluent
import SQLKit

/// Processing after moderation: the executor, folders and stages, terms, answers, internal notes,
/// ratings, specialists' availability, assignment auto-rules, folder counters and scheduled jobs.
struct M0014AppealProcessing: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // SQLite adds one column per ALTER TABLE.
        let columns: [(String, DatabaseSchema.DataType, [DatabaseSchema.FieldConstraint])] = [
            ("executor_id", .uuid, [.references("users", "id", onDelete: .setNull)]),
            ("assigned_at", .datetime, []),
            ("taken_at", .datetime, []),
            ("delegated_by_rule", .bool, [.required, .sql(.default(false))]),
            ("stage", .string, []),
            ("returned", .string, []),
            ("folder", .string, []),
            ("previous_organisation_id", .uuid, [.references("organisations", "id", onDelete: .setNull)]),
            ("coordination_due_at", .datetime, []),
            ("extended_days", .int, []),
            ("postponed_until", .string, []),
            ("awaiting_citizen", .bool, [.required, .sql(.default(false))]),
            ("outcome", .string, []),
            ("answered_at", .datetime, []),
            ("rating", .int, []),
            ("rated_at", .datetime, []),
            ("curator_attention", .bool, [.required, .sql(.default(false))]),
        ]
        for (name, type, constraints) in columns {
            try await database.schema("appeals")
                .field(.definition(name: .key(FieldKey(stringLiteral: name)), dataType: type, constraints: constraints))
                .update()
        }
        // Appeals already accepted before this release are new in their organisation's workspace.
        if let sql = database as? any SQLDatabase {
            try await sql.raw("UPDATE appeals SET folder = 'new' WHERE status = 'coordination'").run()
        }
        // The workspace: a folder of one organisation in registration order, and its due-date filter.
        try await database.createIndex("appeals_workspace_idx", on: "appeals", columns: ["executor_organisation_id", "folder", "year", "sequence"])
        try await database.createIndex("appeals_workspace_due_idx", on: "appeals", columns: ["executor_organisation_id", "folder", "answer_due_at"])
        // An executor's own list; the curator's overdue / due-soon and low-rated lists.
        try await database.createIndex("appeals_executor_person_idx", on: "appeals", columns: ["executor_id", "folder", "year", "sequence"])
        try await database.createIndex("appeals_open_due_idx", on: "appeals", columns: ["folder", "answer_due_at"])
        try await database.createIndex("appeals_curator_idx", on: "appeals", columns: ["curator_attention", "rated_at"])

        try await database.schema("appeal_answers")
            .id()
            .field("appeal_id", .uuid, .required, .references("appeals", "id", onDelete: .cascade))
            .field("author_id", .uuid, .references("users", "id", onDelete: .setNull))
            .field("text", .string, .required)
            .field("outcome", .string, .required)
            // draft → submitted → approved | returned
            .field("state", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("submitted_at", .datetime)
            .field("decided_at", .datetime)
            .field("decided_by", .uuid, .references("users", "id", onDelete: .setNull))
            .field("decision_comment", .string)
            .create()
        try await database.createIndex("appeal_answers_appeal_idx", on: "appeal_answers", columns: ["appeal_id", "created_at"])
        // Files of an answer live with the appeal's files, marked with the answer they belong to.
        try await database.schema("appeal_attachments")
            .field("answer_id", .uuid, .references("appeal_answers", "id", onDelete: .cascade)).update()

        try await database.schema("appeal_notes")
            .id()
            .field("appeal_id", .uuid, .required, .references("appeals", "id", onDelete: .cascade))
            .field("author_id", .uuid, .references("users", "id", onDelete: .setNull))
            .field("text", .string, .required)
            .field("at", .datetime, .required)
            .create()
        try await database.createIndex("appeal_notes_appeal_idx", on: "appeal_notes", columns: ["appeal_id", "at"])

        // Single-use links in the answer email: only the SHA-256 of the token is stored.
        try await database.schema("rating_tokens")
            .id()
            .field("appeal_id", .uuid, .required, .references("appeals", "id", onDelete: .cascade))
            .field("answer_id", .uuid, .required, .references("appeal_answers", "id", onDelete: .cascade))
            .field("token_hash", .string, .required)
            .field("created_at", .datetime, .required)
            .field("used_at", .datetime)
            .field("score", .int)
            .field("comment", .string)
            .unique(on: "token_hash")
            .create()

        try await database.schema("executor_profiles")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("present", .bool, .required)
            .field("capacity", .int)
            .field("spheres", .string, .required)
            .field("territories", .string, .required)
            .field("contacts_day", .string)
            .field("contacts_today", .int, .required)
            .field("last_assigned_at", .datetime)
            .unique(on: "user_id", "organisation_id")
            .create()

        try await database.schema("assignment_rules")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("category_code", .string)
            .field("subcategory_code", .string)
            .field("territory_id", .uuid, .references("territories", "id", onDelete: .cascade))
            .field("executor_id", .uuid, .references("users", "id", onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .create()
        try await database.createIndex("assignment_rules_org_idx", on: "assignment_rules", columns: ["organisation_id"])

        // Live folder counts of the workspace, kept in the same transaction as every move.
        try await database.schema("folder_counts")
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("folder", .string, .required)
            .field("count", .int, .required)
            .unique(on: "organisation_id", "folder")
            .create()
        if let sql = database as? any SQLDatabase {
            try await sql.raw("""
                INSERT INTO folder_counts (organisation_id, folder, count)
                SELECT executor_organisation_id, folder, COUNT(*) FROM appeals
                WHERE folder IS NOT NULL AND executor_organisation_id IS NOT NULL
                GROUP BY executor_organisation_id, folder
                """).run()
        }

        try await database.schema("scheduled_jobs")
            .field("name", .string, .required)
            .field("next_run_at", .datetime, .required)
            .field("locked_until", .datetime)
            .field("locked_by", .string)
            .field("last_run_at", .datetime)
            .field("last_result", .string)
            .unique(on: "name")
            .create()

        try await database.schema("calendar_years")
            .field("year", .int, .required)
            .field("days_off", .string, .required)
            .field("working_days", .string, .required)
            .field("updated_by", .uuid, .references("users", "id", onDelete: .setNull))
            .field("updated_at", .datetime, .required)
            .unique(on: "year")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("appeal_attachments").deleteField("answer_id").update()
        for table in [
            "calendar_years", "scheduled_jobs", "folder_counts", "assignment_rules", "executor_profiles", "rating_tokens",
            "appeal_notes", "appeal_answers",
        ] {
            try await database.schema(table).delete()
        }
    }
}
