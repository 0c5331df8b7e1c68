import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// A chat message as clients receive it (the `message` frame) and as the transcript lists it.
struct ChatMessage: Content, Sendable {
    struct Meta: Codable, Sendable {
        /// The bot's answer: where it comes from.
        var source: BotService.Source?
        var suggestions: [BotService.Source]?
        /// What the citizen may do next: `operator` (ask for a person), `appeal` (leave a message).
        var offers: [String]?
        /// System messages about the consultation: its new state and operator.
        var state: String?
        var operatorName: String?
        /// The appeal made from this chat.
        var appealNumber: String?
    }

    var type = "message"
    var topic: UUID
    var seq: Int64
    var id: UUID
    var authorKind: String
    var authorName: String
    var text: String
    var at: Date
    var meta: Meta?
}

/// The one way a chat message is stored: numbered under its topic's row lock, written in the same
/// transaction, announced to other nodes on commit (PostgreSQL NOTIFY), then handed to this node's hub.
enum ChatStore {
    struct Author: Sendable {
        var kind: ChatAuthorKind
        var id: UUID?
        var name: String
    }

    static func createTopic(_ id: UUID, kind: String, now: Date, on db: any Database) async throws {
        try await ChatTopic(id: id, kind: kind, now: now).create(on: db)
    }

    /// The key a message is stored under when its client gave it a `ref` (at most 100 characters are
    /// kept; a longer ref is not a resend key).
    static func clientKey(_ author: Author, ref: String?) -> String? {
        guard let ref, !ref.isEmpty, ref.count <= 100 else { return nil }
        return "\(author.kind.rawValue):\(author.id?.uuidString ?? "-"):\(ref)"
    }

    /// The message already stored for this sender and `ref`, if the client is sending it again.
    static func sent(to topic: UUID, author: Author, ref: String?, on db: any Database) async throws -> ChatMessage? {
        guard let key = clientKey(author, ref: ref) else { return nil }
        return try await ChatMessageRecord.query(on: db).filter(\.$topicID == topic).filter(\.$clientKey == key).first()
            .map(message(from:))
    }

    /// Stores `text` (already checked by `ChatRules`) and delivers it. `touchChannel`: a staff channel,
    /// whose list is ordered by its last message. `ref`: the client's id of the message; sent again
    /// (a lost ack), the message stored the first time is returned and nothing is stored or delivered.
    @discardableResult
    static func append(
        to topic: UUID, author: Author, text: String, meta: ChatMessage.Meta? = nil, touchChannel: Bool = false, ref: String? = nil,
        app: Application, now: Date
    ) async throws -> ChatMessage {
        if let earlier = try await sent(to: topic, author: author, ref: ref, on: app.db) {
            // A ref reused for another text is a client's mistake, not a resend.
            guard earlier.text == text else { throw ValidationFailure([FieldError("ref", .idempotencyMismatch)]) }
            return earlier
        }
        do {
            return try await store(to: topic, author: author, text: text, meta: meta, touchChannel: touchChannel, ref: ref, app: app, now: now)
        } catch where error.isUniqueViolation {
            // The same resend on two connections at once: the other one stored it.
            guard let earlier = try await sent(to: topic, author: author, ref: ref, on: app.db) else { throw error }
            return earlier
        }
    }

    private static func store(
        to topic: UUID, author: Author, text: String, meta: ChatMessage.Meta?, touchChannel: Bool, ref: String?, app: Application,
        now: Date
    ) async throws -> ChatMessage {
        let id = UUID()
        let metaJSON = try meta.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        let seq: Int64 = try await app.db.transaction { db in
            guard let sql = db as? any SQLDatabase else { throw AppError.notFound }
            guard let row = try await sql.raw("UPDATE chat_topics SET last_seq = last_seq + 1 WHERE id = \(bind: topic) RETURNING last_seq")
                .first()
            else { throw AppError.notFound }
            let seq = try row.decode(column: "last_seq", as: Int64.self)
            let record = ChatMessageRecord()
            record.id = id
            record.topicID = topic
            record.seq = seq
            record.authorKind = author.kind.rawValue
            record.authorID = author.id
            record.authorName = author.name
            record.body = text
            record.folded = text.lowercased()
            record.meta = metaJSON
            record.createdAt = now
            record.clientKey = clientKey(author, ref: ref)
            try await record.create(on: db)
            if touchChannel {
                try await StaffChannelRecord.query(on: db).filter(\.$id == topic).set(\.$lastMessageAt, to: now).update()
            }
            if let channel = app.chatBusChannel {
                // Delivered to every listening node when (and only if) this transaction commits.
                try await sql.raw("SELECT pg_notify(\(bind: channel), \(bind: "\(topic.uuidString):\(seq)"))").run()
            }
            return seq
        }
        let message = ChatMessage(
            topic: topic, seq: seq, id: id, authorKind: author.kind.rawValue, authorName: author.name, text: text, at: now, meta: meta)
        app.chatHub.publish(message)
        return message
    }

    /// Messages after `after`, oldest first, at most `limit`.
    static func messages(of topic: UUID, after: Int64, limit: Int = 500, on db: any Database) async throws -> [ChatMessage] {
        try await ChatMessageRecord.query(on: db).filter(\.$topicID == topic).filter(\.$seq > after).sort(\.$seq).limit(limit).all()
            .map(message(from:))
    }

    /// The newest `limit` messages, oldest first (a first subscription shows the end of a long history).
    static func latest(of topic: UUID, limit: Int, on db: any Database) async throws -> [ChatMessage] {
        try await ChatMessageRecord.query(on: db).filter(\.$topicID == topic).sort(\.$seq, .descending).limit(limit).all()
            .reversed().map(message(from:))
    }

    static func lastSeq(of topic: UUID, on db: any Database) async throws -> Int64? {
        try await ChatTopic.find(topic, on: db)?.lastSeq
    }

    static func message(from record: ChatMessageRecord) -> ChatMessage {
        ChatMessage(
            topic: record.topicID, seq: record.seq, id: record.id ?? UUID(), authorKind: record.authorKind, authorName: record.authorName,
            text: record.body, at: record.createdAt,
            meta: record.meta.flatMap { try? JSONDecoder().decode(ChatMessage.Meta.self, from: Data($0.utf8)) })
    }
}
