import Fluent
import SQLKit

/// Idempotency for every creating API call (issue 11 item 2): the first answer to a request with an
/// `Idempotency-Key`, kept a day per caller and key, so a retry gets that answer instead of a second
/// record (appeals keep their own key table, written in the appeal's transaction); and chat messages
/// sent over the WebSocket are stored once per sender and client `ref`.
struct M0034CreateIdempotentRequests: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("idempotent_requests")
            .id()
            .field("principal", .string, .required)
            .field("key", .string, .required)
            .field("request_hash", .string, .required)
            .field("status", .int)
            .field("content_type", .string)
            .field("location", .string)
            .field("body", .data)
            .field("created_at", .datetime, .required)
            .unique(on: "principal", "key")
            .create()
        try await database.schema("chat_messages").field("client_key", .string).update()
        if let sql = database as? any SQLDatabase {
            try await sql.create(index: "idempotent_requests_created_at").on("idempotent_requests").column("created_at").run()
            // NULLs are distinct in a unique index on both engines: messages without a ref are not limited.
            try await sql.create(index: "chat_messages_client_key").unique().on("chat_messages").column("topic_id").column("client_key")
                .run()
        }
    }

    func revert(on database: any Database) async throws {
        if let sql = database as? any SQLDatabase { try await sql.drop(index: "chat_messages_client_key").run() }
        try await database.schema("chat_messages").deleteField("client_key").update()
        try await database.schema("idempotent_requests").delete()
    }
}
