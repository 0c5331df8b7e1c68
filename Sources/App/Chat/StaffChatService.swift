import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// Staff messaging (issue 7, product.md §6): channels between organisations, direct messages and a thread
/// on each appeal. Membership is decided by `ChannelAccess`; this file finds, creates and lists channels.
enum StaffChatService {
    struct ChannelSummary: Content {
        var id: UUID
        var kind: ChannelKind
        var title: String
        var lastSeq: Int64
        var unread: Int64
        var lastMessageAt: Date?
        var appealNumber: String?
    }

    /// The channel as the policy sees it, or `nil` when there is none with this id.
    static func channel(_ id: UUID, on db: any Database) async throws -> StaffChannel? {
        guard let record = try await StaffChannelRecord.find(id, on: db) else { return nil }
        return try await channel(record, on: db)
    }

    static func channel(_ record: StaffChannelRecord, on db: any Database) async throws -> StaffChannel {
        switch record.kind {
        case .direct:
            return StaffChannel(kind: .direct, people: Set([record.personA, record.personB].compactMap { $0 }))
        case .appeal:
            let appeal = try await record.appealID.asyncMap { try await Appeal.find($0, on: db) } ?? nil
            return StaffChannel(kind: .appeal, appealScope: appeal?.scope)
        case .agencies:
            let organisations = try await StaffChannelOrganisation.query(on: db).filter(\.$channelID == record.requireID()).all()
            return StaffChannel(
                kind: .agencies, organisations: Set(organisations.map(\.organisationID)), includesSubordinates: record.includesSubordinates)
        }
    }

    /// The channels a person reads, newest activity first, with unread counts. Agencies channels are few
    /// (one per pair of bodies at most); direct ones and appeal threads are found by the person's own rows.
    static func channels(for actor: Actor, on db: any Database) async throws -> [ChannelSummary] {
        let tree = try await OrganisationQueries.tree(on: db)
        guard Policy.isActiveStaff(actor, tree: tree) else { return [] }
        let me = actor.userID
        var records = try await StaffChannelRecord.query(on: db).filter(\.$kind == .agencies).all()
        records += try await StaffChannelRecord.query(on: db).filter(\.$kind == .direct)
            .group(.or) { $0.filter(\.$personA == me).filter(\.$personB == me) }.all()
        let reads = try await StaffChannelRead.query(on: db).filter(\.$userID == me).all()
        let readBy = Dictionary(reads.map { ($0.channelID, $0.lastReadSeq) }, uniquingKeysWith: max)
        let threadIDs = reads.map(\.channelID)
        if !threadIDs.isEmpty {
            records += try await StaffChannelRecord.query(on: db).filter(\.$kind == .appeal).filter(\.$id ~~ threadIDs).all()
        }
        let ids = records.compactMap(\.id)
        guard !ids.isEmpty else { return [] }
        let organisations = try await StaffChannelOrganisation.query(on: db).filter(\.$channelID ~~ ids).all()
        let orgsBy = Dictionary(grouping: organisations, by: \.channelID)
        let appealIDs = records.compactMap(\.appealID)
        let appeals = appealIDs.isEmpty ? [] : try await Appeal.query(on: db).filter(\.$id ~~ appealIDs).all()
        let appealBy = Dictionary(appeals.compactMap { a in a.id.map { ($0, a) } }, uniquingKeysWith: { a, _ in a })
        let topics = try await ChatTopic.query(on: db).filter(\.$id ~~ ids).all()
        let lastSeqBy = Dictionary(topics.compactMap { t in t.id.map { ($0, t.lastSeq) } }, uniquingKeysWith: max)
        let otherIDs = records.filter { $0.kind == .direct }.compactMap { $0.personA == me ? $0.personB : $0.personA }
        let others = otherIDs.isEmpty ? [] : try await User.query(on: db).filter(\.$id ~~ otherIDs).all()
        let otherBy = Dictionary(others.compactMap { u in u.id.map { ($0, u) } }, uniquingKeysWith: { a, _ in a })
        var result: [ChannelSummary] = []
        for record in records {
            guard let id = record.id else { continue }
            let channel: StaffChannel
            switch record.kind {
            case .agencies:
                channel = StaffChannel(
                    kind: .agencies, organisations: Set((orgsBy[id] ?? []).map(\.organisationID)),
                    includesSubordinates: record.includesSubordinates)
            case .direct:
                channel = StaffChannel(kind: .direct, people: Set([record.personA, record.personB].compactMap { $0 }))
            case .appeal:
                channel = StaffChannel(kind: .appeal, appealScope: record.appealID.flatMap { appealBy[$0]?.scope })
            }
            guard ChannelAccess.mayRead(actor, channel, tree: tree) else { continue }
            var title = record.title
            if record.kind == .direct, let other = (record.personA == me ? record.personB : record.personA).flatMap({ otherBy[$0] }) {
                title = "\(other.surname) \(other.name)"
            }
            let lastSeq = lastSeqBy[id] ?? 0
            result.append(
                ChannelSummary(
                    id: id, kind: record.kind, title: title, lastSeq: lastSeq, unread: Unread.count(lastSeq: lastSeq, lastRead: readBy[id]),
                    lastMessageAt: record.lastMessageAt, appealNumber: record.appealID.flatMap { appealBy[$0]?.number }))
        }
        return result.sorted { ($0.lastMessageAt ?? .distantPast, $0.title) > ($1.lastMessageAt ?? .distantPast, $1.title) }
    }

    /// A channel between organisations. The creator must belong to one of them (an admin to any).
    static func createAgencies(
        title rawTitle: String?, organisations: [UUID], includesSubordinates: Bool, by actor: Actor, app: Application, now: Date
    ) async throws -> UUID {
        var errors = FieldErrors()
        let title = rawTitle?.nonBlank?.trimmingWhitespace()
        if title == nil { errors.add("title", .required) } else if title!.count > 200 { errors.add("title", .tooLong) }
        let unique = Array(Set(organisations))
        let found = unique.isEmpty ? [] : try await Organisation.query(on: app.db).filter(\.$id ~~ unique).all()
        if found.count != unique.count { errors.add("organisations", .notFound) }
        let channel = StaffChannel(kind: .agencies, organisations: Set(unique), includesSubordinates: includesSubordinates)
        if !ChannelAccess.check(channel) { errors.add("organisations", .invalidValue) }
        try errors.throwIfAny()
        let tree = try await OrganisationQueries.tree(on: app.db)
        // Whoever opens a channel must be able to read it.
        guard ChannelAccess.mayRead(actor, StaffChannel(kind: .agencies, organisations: Set(unique), includesSubordinates: true), tree: tree)
        else { throw AppError.forbidden }
        let id = UUID()
        try await app.db.transaction { db in
            try await ChatStore.createTopic(id, kind: "channel", now: now, on: db)
            let record = StaffChannelRecord()
            record.id = id
            record.kind = .agencies
            record.title = title ?? ""
            record.includesSubordinates = includesSubordinates
            record.createdBy = actor.userID
            record.createdAt = now
            try await record.create(on: db)
            for organisation in unique { try await StaffChannelOrganisation(channelID: id, organisationID: organisation).create(on: db) }
        }
        return id
    }

    /// The direct channel of two staff members, made on first use.
    static func direct(with other: UUID, by actor: Actor, app: Application, now: Date) async throws -> UUID {
        guard Policy.isActiveStaff(actor, tree: try await OrganisationQueries.tree(on: app.db)) else { throw AppError.forbidden }
        guard other != actor.userID else { throw ValidationFailure([FieldError("with", .invalidValue)]) }
        guard let person = try await User.find(other, on: app.db), person.isActive,
            try await RoleGrant.query(on: app.db).filter(\.$user.$id == other).filter(\.$role != .citizen).count() > 0
        else { throw ValidationFailure([FieldError("with", .notFound)]) }
        let (a, b) = actor.userID.uuidString < other.uuidString ? (actor.userID, other) : (other, actor.userID)
        if let existing = try await StaffChannelRecord.query(on: app.db).filter(\.$personA == a).filter(\.$personB == b).first() {
            return try existing.requireID()
        }
        let id = UUID()
        do {
            try await insert(id, .direct, title: "Личные сообщения", by: actor, app: app, now: now) {
                $0.personA = a
                $0.personB = b
            }
        } catch where error.isUniqueViolation {
            // The other person opened it at the same moment.
            if let existing = try await StaffChannelRecord.query(on: app.db).filter(\.$personA == a).filter(\.$personB == b).first() {
                return try existing.requireID()
            }
            throw error
        }
        return id
    }

    /// The discussion thread of an appeal the person may see, made on first use; opening it puts it in
    /// their list.
    static func appealThread(_ appeal: Appeal, by actor: Actor, app: Application, now: Date) async throws -> UUID {
        let tree = try await OrganisationQueries.tree(on: app.db)
        guard Policy.permits(actor, .viewAppeals, in: appeal.scope, tree: tree) else { throw AppError.forbidden }
        let appealID = try appeal.requireID()
        var id = try await StaffChannelRecord.query(on: app.db).filter(\.$appealID == appealID).first()?.requireID()
        if id == nil {
            let created = UUID()
            do {
                try await insert(created, .appeal, title: "Обращение № \(appeal.number)", by: actor, app: app, now: now) {
                    $0.appealID = appealID
                }
                id = created
            } catch where error.isUniqueViolation {
                id = try await StaffChannelRecord.query(on: app.db).filter(\.$appealID == appealID).first()?.requireID()
            }
        }
        guard let id else { throw AppError.notFound }
        try await markRead(id, user: actor.userID, seq: 0, on: app.db)
        return id
    }

    /// A direct channel or an appeal thread with its topic, in one transaction.
    private static func insert(
        _ id: UUID, _ kind: ChannelKind, title: String, by actor: Actor, app: Application, now: Date,
        _ fill: @escaping @Sendable (StaffChannelRecord) -> Void
    ) async throws {
        try await app.db.transaction { db in
            try await ChatStore.createTopic(id, kind: "channel", now: now, on: db)
            let record = StaffChannelRecord()
            record.id = id
            record.kind = kind
            record.title = title
            record.includesSubordinates = false
            record.createdBy = actor.userID
            record.createdAt = now
            fill(record)
            try await record.create(on: db)
        }
    }

    /// Remembers that `user` has read `channel` up to `seq` (never backwards).
    static func markRead(_ channel: UUID, user: UUID, seq: Int64, on db: any Database) async throws {
        if let existing = try await StaffChannelRead.query(on: db).filter(\.$channelID == channel).filter(\.$userID == user).first() {
            guard seq > existing.lastReadSeq else { return }
            existing.lastReadSeq = seq
            try await existing.save(on: db)
            return
        }
        let read = StaffChannelRead()
        read.channelID = channel
        read.userID = user
        read.lastReadSeq = seq
        do {
            try await read.create(on: db)
        } catch where error.isUniqueViolation {
            try await StaffChannelRead.query(on: db).filter(\.$channelID == channel).filter(\.$userID == user)
                .filter(\.$lastReadSeq < seq).set(\.$lastReadSeq, to: seq).update()
        }
    }

    struct Found: Content {
        var channel: UUID
        var channelTitle: String
        var message: ChatMessage
    }

    /// Messages containing `query` in the channels the person reads, newest first.
    static func search(_ query: String, for actor: Actor, limit: Int = 50, on db: any Database) async throws -> [Found] {
        let needle = query.trimmingWhitespace().lowercased()
        guard needle.count >= 2 else { return [] }
        let channels = try await channels(for: actor, on: db)
        guard !channels.isEmpty else { return [] }
        let titles = Dictionary(channels.map { ($0.id, $0.title) }, uniquingKeysWith: { a, _ in a })
        guard let sql = db as? any SQLDatabase else { return [] }
        // A substring test without LIKE's wildcards: the query is taken literally.
        let contains = SQLFunction(sql.dialect.name == "sqlite" ? "instr" : "strpos", args: SQLColumn("folded"), SQLBind(needle))
        let ids = try await sql.select().column("id").from(ChatMessageRecord.schema)
            .where("topic_id", .in, channels.map(\.id))
            .where(contains, .greaterThan, SQLLiteral.numeric("0"))
            .orderBy("created_at", .descending).limit(limit).all()
            .map { try $0.decode(column: "id", as: UUID.self) }
        guard !ids.isEmpty else { return [] }
        let records = try await ChatMessageRecord.query(on: db).filter(\.$id ~~ ids).sort(\.$createdAt, .descending).all()
        return records.map { Found(channel: $0.topicID, channelTitle: titles[$0.topicID] ?? "", message: ChatStore.message(from: $0)) }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
