import Domain
import Fluent
import SQLKit
import Vapor

/// Group commit for intake. Submissions are checked, routed and assembled concurrently; only the
/// write is serialised here, and every submission that arrives while one commit is in flight joins
/// the next. A batch takes its numbers with one counter update, inserts its appeals, history,
/// attachments, idempotency keys and mails with one statement each, and commits once: one fsync for
/// many appeals. A caller is answered only after its batch committed, so nothing acknowledged is
/// lost to a crash. If a constraint refuses a batch, each of its appeals is retried on its own, so
/// one bad record (a racing idempotency key) cannot sink the others.
///
/// On PostgreSQL with several nodes each node batches its own submissions; the counter row's lock
/// keeps numbers distinct and consecutive across them.
actor AppealWriter {
    /// Everything one appeal writes. The appeal's number is given by the writer; `mail` is built once
    /// the number is known. `@unchecked Sendable`: the models belong to this record until written.
    struct Record: @unchecked Sendable {
        var appeal: Appeal
        var event: AppealEvent
        var attachments: [AppealAttachment] = []
        var idempotencyKey: IdempotencyKey?
        var mail: (@Sendable (Appeal) -> OutboxMessage)?
    }

    /// Appeals have ~45 columns: 100 rows stay far below either engine's bind-parameter limit.
    static let maxBatch = 100

    private let region: Int
    private let database: @Sendable () -> any Database
    private var pending: [(Record, CheckedContinuation<Void, any Error>)] = []
    private var draining = false

    init(region: Int, database: @escaping @Sendable () -> any Database) {
        self.region = region
        self.database = database
    }

    /// Returns once the record is committed (its appeal then carries its number), or throws if it
    /// could not be written; nothing of it is saved then.
    func write(_ record: Record) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            pending.append((record, continuation))
            if !draining {
                draining = true
                Task { await drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(Self.maxBatch))
            pending.removeFirst(batch.count)
            await commit(batch)
        }
        draining = false
    }

    private func commit(_ batch: [(Record, CheckedContinuation<Void, any Error>)]) async {
        do {
            try await Self.insert(batch.map(\.0), region: region, on: database())
            for (_, continuation) in batch { continuation.resume() }
        } catch {
            // A record the database refused (a racing idempotency key) is found by writing each on
            // its own; anything else (the database is away) fails the batch at once rather than
            // making every waiting submission sit through a hundred doomed retries.
            guard batch.count > 1, error.isUniqueViolation else {
                for (_, continuation) in batch { continuation.resume(throwing: error) }
                return
            }
            for item in batch { await commit([item]) }
        }
    }

    private static func insert(_ records: [Record], region: Int, on db: any Database) async throws {
        // A retried record may carry the marks of a rolled-back attempt.
        for record in records {
            record.appeal.$id.exists = false
            record.event.$id.exists = false
            for attachment in record.attachments { attachment.$id.exists = false }
            record.idempotencyKey?.$id.exists = false
        }
        try await db.transaction { db in
            // Numbers in arrival order, per year (a batch may straddle New Year's midnight).
            let byYear = Dictionary(grouping: records.indices, by: { records[$0].appeal.year })
            for (year, indices) in byYear.sorted(by: { $0.key < $1.key }) {
                let last = try await reserve(indices.count, region: region, year: year, on: db)
                for (offset, index) in indices.enumerated() {
                    let number = RegistrationNumber(region: region, year: year, sequence: last - indices.count + 1 + offset)
                    let appeal = records[index].appeal
                    appeal.number = number.description
                    appeal.sequence = number.sequence
                }
            }
            try await records.map(\.appeal).create(on: db)
            for record in records {
                record.event.$appeal.id = try record.appeal.requireID()
                for attachment in record.attachments { attachment.$appeal.id = try record.appeal.requireID() }
                record.idempotencyKey?.$appeal.id = try record.appeal.requireID()
            }
            try await records.map(\.event).create(on: db)
            let attachments = records.flatMap(\.attachments)
            if !attachments.isEmpty { try await attachments.create(on: db) }
            let keys = records.compactMap(\.idempotencyKey)
            if !keys.isEmpty { try await keys.create(on: db) }
            let mails = records.compactMap { record in record.mail?(record.appeal) }
            if !mails.isEmpty { try await mails.create(on: db) }
        }
    }

    /// Takes `count` numbers of the year: the counter row is created once per year and moved on under
    /// its write lock, so concurrent batches (on any node) get distinct, consecutive ranges.
    /// Returns the last number taken.
    static func reserve(_ count: Int, region: Int, year: Int, on db: any Database) async throws -> Int {
        guard let sql = db as? any SQLDatabase else { throw AppError.badRequest("SQL database required") }
        try await sql.raw(
            "INSERT INTO appeal_counters (region, year, last) VALUES (\(bind: region), \(bind: year), 0) ON CONFLICT DO NOTHING"
        ).run()
        guard let row = try await sql.raw(
            "UPDATE appeal_counters SET last = last + \(bind: count) WHERE region = \(bind: region) AND year = \(bind: year) RETURNING last"
        ).first() else { throw AppError.badRequest("number counter missing") }
        return try row.decode(column: "last", as: Int.self)
    }
}

extension Application {
    private struct AppealWriterKey: StorageKey { typealias Value = AppealWriter }

    /// Set up once in `configure`, before any request can arrive.
    var appealWriter: AppealWriter {
        get { configured(AppealWriterKey.self) }
        set { storage[AppealWriterKey.self] = newValue }
    }
}
