import Fluent
import SQLKit

/// Webhooks (issue 9 item 5). An organisation's subscriptions name a URL and the appeal events it wants;
/// a trigger on `appeal_events` notes every new event in `webhook_queue` (only while some subscription is
/// active, so the register pays nothing otherwise), in the same transaction as the event, whichever code
/// wrote it. The worker turns queued events into deliveries (one per matching subscription, with its
/// body) and sends them, retrying with backoff; the deliveries are the log the admin page shows.
struct M0028CreateWebhooks: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("webhook_subscriptions")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("url", .string, .required)
            .field("secret", .string, .required)
            .field("events", .string, .required)
            .field("active", .bool, .required)
            .field("note", .string)
            .field("created_at", .datetime, .required)
            .field("created_by", .uuid)
            .create()
        try await database.schema("webhook_queue")
            .field("seq", .int64, .identifier(auto: true))
            .field("event_id", .uuid, .required)
            .create()
        try await database.schema("webhook_deliveries")
            .id()
            .field("subscription_id", .uuid, .required, .references("webhook_subscriptions", "id", onDelete: .cascade))
            .field("event_id", .uuid, .required)
            .field("event", .string, .required)
            .field("appeal_number", .string, .required)
            .field("payload", .string, .required)
            .field("status", .string, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .datetime, .required)
            .field("locked_until", .datetime)
            .field("last_status", .int)
            .field("last_error", .string)
            .field("created_at", .datetime, .required)
            .field("delivered_at", .datetime)
            .unique(on: "subscription_id", "event_id")
            .create()
        try await database.createIndex("webhook_deliveries_due_idx", on: "webhook_deliveries", columns: ["status", "next_attempt_at"])
        try await database.createIndex(
            "webhook_deliveries_log_idx", on: "webhook_deliveries", columns: ["subscription_id", "created_at"])
        try await database.createIndex("webhook_deliveries_created_idx", on: "webhook_deliveries", columns: ["created_at"])

        guard let sql = database as? any SQLDatabase else { return }
        if sql.dialect.name == "postgresql" {
            try await sql.raw("""
                CREATE OR REPLACE FUNCTION webhook_note_event() RETURNS trigger AS $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM webhook_subscriptions WHERE active) THEN
                        INSERT INTO webhook_queue (event_id) VALUES (NEW.id);
                    END IF;
                    RETURN NULL;
                END $$ LANGUAGE plpgsql
                """).run()
            try await sql.raw("""
                CREATE TRIGGER appeal_events_webhook AFTER INSERT ON appeal_events
                FOR EACH ROW EXECUTE FUNCTION webhook_note_event()
                """).run()
        } else {
            try await sql.raw("""
                CREATE TRIGGER appeal_events_webhook AFTER INSERT ON appeal_events
                WHEN EXISTS (SELECT 1 FROM webhook_subscriptions WHERE active)
                BEGIN INSERT INTO webhook_queue (event_id) VALUES (NEW.id); END
                """).run()
        }
    }

    func revert(on database: any Database) async throws {
        if let sql = database as? any SQLDatabase {
            if sql.dialect.name == "postgresql" {
                try await sql.raw("DROP TRIGGER IF EXISTS appeal_events_webhook ON appeal_events").run()
                try await sql.raw("DROP FUNCTION IF EXISTS webhook_note_event()").run()
            } else {
                try await sql.raw("DROP TRIGGER IF EXISTS appeal_events_webhook").run()
            }
        }
        try await database.schema("webhook_deliveries").delete()
        try await database.schema("webhook_queue").delete()
        try await database.schema("webhook_subscriptions").delete()
    }
}
