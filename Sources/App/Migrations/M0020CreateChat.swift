import Fluent
import SQLKit

/// Real-time chat (issue 7): every consultation and staff channel is a topic whose messages are numbered
/// 1, 2, 3… (`chat_topics.last_seq` hands out the numbers under the row's lock), so a client resumes from
/// the last number it saw; consultations with their operator, operators' presence, staff channels with
/// their member organisations and each member's read mark.
struct M0020CreateChat: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("chat_topics")
            .id()
            // consultation | channel
            .field("kind", .string, .required)
            .field("last_seq", .int64, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema("chat_messages")
            .id()
            .field("topic_id", .uuid, .required, .references("chat_topics", "id", onDelete: .cascade))
            .field("seq", .int64, .required)
            // citizen | operator | bot | system | staff
            .field("author_kind", .string, .required)
            .field("author_id", .uuid, .references("users", "id", onDelete: .setNull))
            .field("author_name", .string, .required)
            .field("body", .string, .required)
            // Lower-cased for search (SQLite's LIKE and lower() know only ASCII letters).
            .field("folded", .string, .required)
            // The bot's source and suggestions, as JSON.
            .field("meta", .string)
            .field("created_at", .datetime, .required)
            .unique(on: "topic_id", "seq")
            .create()
        try await database.schema("consultations")
            .field("id", .uuid, .identifier(auto: false), .references("chat_topics", "id", onDelete: .cascade))
            .field("state", .string, .required)
            .field("operator_id", .uuid, .references("users", "id", onDelete: .setNull))
            .field("citizen_id", .uuid, .references("users", "id", onDelete: .setNull))
            .field("citizen_name", .string, .required)
            .field("citizen_email", .string)
            // SHA-256 of the anonymous citizen's key; the key itself is only in their browser.
            .field("token_hash", .string, .required)
            .field("bot_reason", .string)
            .field("outcome", .string)
            .field("appeal_id", .uuid, .references("appeals", "id", onDelete: .setNull))
            .field("created_at", .datetime, .required)
            .field("assigned_at", .datetime)
            .field("closed_at", .datetime)
            .create()
        try await database.schema("chat_operators")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("organisation_id", .uuid, .references("organisations", "id", onDelete: .setNull))
            // online | away | offline
            .field("status", .string, .required)
            // How many chats at once.
            .field("capacity", .int, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "user_id")
            .create()
        try await database.schema("staff_channels")
            .field("id", .uuid, .identifier(auto: false), .references("chat_topics", "id", onDelete: .cascade))
            .field("kind", .string, .required)
            .field("title", .string, .required)
            .field("includes_subordinates", .bool, .required)
            .field("appeal_id", .uuid, .references("appeals", "id", onDelete: .cascade))
            // Direct channels: the two people, the smaller id first, so a pair has one channel.
            .field("person_a", .uuid, .references("users", "id", onDelete: .cascade))
            .field("person_b", .uuid, .references("users", "id", onDelete: .cascade))
            .field("created_by", .uuid, .references("users", "id", onDelete: .setNull))
            .field("created_at", .datetime, .required)
            .field("last_message_at", .datetime)
            .unique(on: "appeal_id")
            .unique(on: "person_a", "person_b")
            .create()
        try await database.schema("staff_channel_organisations")
            .id()
            .field("channel_id", .uuid, .required, .references("staff_channels", "id", onDelete: .cascade))
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .unique(on: "channel_id", "organisation_id")
            .create()
        try await database.schema("staff_channel_reads")
            .id()
            .field("channel_id", .uuid, .required, .references("staff_channels", "id", onDelete: .cascade))
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("last_read_seq", .int64, .required)
            .unique(on: "user_id", "channel_id")
            .create()
        try await database.createIndex("consultations_queue_idx", on: "consultations", columns: ["state", "created_at"])
        try await database.createIndex("consultations_operator_idx", on: "consultations", columns: ["operator_id", "state"])
        try await database.createIndex("consultations_citizen_idx", on: "consultations", columns: ["citizen_id", "created_at"])
        try await database.createIndex("staff_channel_orgs_org_idx", on: "staff_channel_organisations", columns: ["organisation_id"])
        try await database.createIndex("staff_channels_kind_idx", on: "staff_channels", columns: ["kind", "last_message_at"])
    }

    func revert(on database: any Database) async throws {
        for table in [
            "staff_channel_reads", "staff_channel_organisations", "staff_channels", "chat_operators", "consultations", "chat_messages",
            "chat_topics",
        ] {
            try await database.schema(table).delete()
        }
    }
}
