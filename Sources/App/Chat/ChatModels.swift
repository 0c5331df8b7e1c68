import Domain
import Fluent
import Foundation
import Vapor

/// A numbered stream of messages: one per consultation and per staff channel (same id as its owner).
final class ChatTopic: Model, @unchecked Sendable {
    static let schema = "chat_topics"

    @ID(key: .id) var id: UUID?
    @Field(key: "kind") var kind: String
    @Field(key: "last_seq") var lastSeq: Int64
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(id: UUID, kind: String, now: Date) {
        self.id = id
        self.kind = kind
        self.lastSeq = 0
        self.createdAt = now
    }
}

/// Who wrote a chat message.
enum ChatAuthorKind: String, Codable, Sendable {
    case citizen, `operator`, bot, system, staff
}

final class ChatMessageRecord: Model, @unchecked Sendable {
    static let schema = "chat_messages"

    @ID(key: .id) var id: UUID?
    @Field(key: "topic_id") var topicID: UUID
    @Field(key: "seq") var seq: Int64
    @Field(key: "author_kind") var authorKind: String
    @OptionalField(key: "author_id") var authorID: UUID?
    @Field(key: "author_name") var authorName: String
    @Field(key: "body") var body: String
    @Field(key: "folded") var folded: String
    @OptionalField(key: "meta") var meta: String?
    @Field(key: "created_at") var createdAt: Date
    /// The sender and the `ref` its client gave the message: a resend after a lost ack (reconnect)
    /// finds the message stored the first time instead of storing it twice.
    @OptionalField(key: "client_key") var clientKey: String?

    init() {}
}

/// A citizen's online consultation (`Consultation` in the domain holds its rules).
final class ConsultationRecord: Model, @unchecked Sendable {
    static let schema = "consultations"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "state") var state: ConsultationState
    @OptionalField(key: "operator_id") var operatorID: UUID?
    @OptionalField(key: "citizen_id") var citizenID: UUID?
    @Field(key: "citizen_name") var citizenName: String
    @OptionalField(key: "citizen_email") var citizenEmail: String?
    @Field(key: "token_hash") var tokenHash: String
    @OptionalField(key: "bot_reason") var botReason: String?
    @OptionalField(key: "outcome") var outcome: ConsultationOutcome?
    @OptionalField(key: "appeal_id") var appealID: UUID?
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "assigned_at") var assignedAt: Date?
    @OptionalField(key: "closed_at") var closedAt: Date?
    /// Said by the operator on closing: the chat counts as a contact in this sphere (issue 8).
    @OptionalField(key: "sphere") var sphere: String?

    init() {}

    var domain: Consultation { Consultation(state: state, operatorID: operatorID) }
}

/// An operator's presence in the consultation console and how many chats they take at once.
final class ChatOperator: Model, @unchecked Sendable {
    static let schema = "chat_operators"

    enum Status: String, Codable, Sendable, CaseIterable {
        case online, away, offline
    }

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @OptionalField(key: "organisation_id") var organisationID: UUID?
    @Field(key: "status") var status: Status
    @Field(key: "capacity") var capacity: Int
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    static let defaultCapacity = 3
}

final class StaffChannelRecord: Model, @unchecked Sendable {
    static let schema = "staff_channels"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "kind") var kind: ChannelKind
    @Field(key: "title") var title: String
    @Field(key: "includes_subordinates") var includesSubordinates: Bool
    @OptionalField(key: "appeal_id") var appealID: UUID?
    @OptionalField(key: "person_a") var personA: UUID?
    @OptionalField(key: "person_b") var personB: UUID?
    @OptionalField(key: "created_by") var createdBy: UUID?
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "last_message_at") var lastMessageAt: Date?

    init() {}
}

final class StaffChannelOrganisation: Model, @unchecked Sendable {
    static let schema = "staff_channel_organisations"

    @ID(key: .id) var id: UUID?
    @Field(key: "channel_id") var channelID: UUID
    @Field(key: "organisation_id") var organisationID: UUID

    init() {}

    init(channelID: UUID, organisationID: UUID) {
        self.channelID = channelID
        self.organisationID = organisationID
    }
}

final class StaffChannelRead: Model, @unchecked Sendable {
    static let schema = "staff_channel_reads"

    @ID(key: .id) var id: UUID?
    @Field(key: "channel_id") var channelID: UUID
    @Field(key: "user_id") var userID: UUID
    @Field(key: "last_read_seq") var lastReadSeq: Int64

    init() {}
}
