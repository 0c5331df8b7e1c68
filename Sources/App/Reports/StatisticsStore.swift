import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// The monthly sums behind every dashboard and report (see `M0022CreateStatistics`).
///
/// Writers never touch the sums: triggers note each changed appeal or contact in `stat_dirty`, and the
/// fold moves their contributions into `stat_counts` — subtracting what each source added last time
/// (`stat_contributions`) and adding what it adds now — in short transactions, off the request path
/// (every two seconds) and before any figure is read, so figures are exact to the moment they are asked.
enum StatisticsStore {
    /// «No organisation yet» in `stat_counts` (a unique index treats NULLs as all different).
    static let noOrganisation = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    static let batchSize = 1_000
    /// Rows per multi-row upsert (7 binds each: well inside both engines' limits).
    static let upsertChunk = 400
    /// PostgreSQL advisory lock: one fold at a time across nodes.
    static let foldLock: Int64 = 8_020_226

    enum Source: String {
        case appeal, contact
    }

    // MARK: Fold

    /// Folds everything pending (up to `maxBatches` batches); returns how many sources were folded.
    @discardableResult
    static func fold(app: Application, maxBatches: Int = .max) async throws -> Int {
        try await app.statisticsGate.run {
            var total = 0
            var batches = 0
            while batches < maxBatches {
                let folded = try await foldBatch(db: app.db, calendar: app.productionCalendar)
                total += folded
                batches += 1
                if folded < batchSize { break }
            }
            return total
        }
    }

    /// Whether anything waits to be folded.
    static func pending(on db: any Database) async throws -> Int {
        guard let sql = db as? any SQLDatabase else { return 0 }
        return try await sql.raw("SELECT COUNT(*) AS n FROM stat_dirty").first()?.decode(column: "n", as: Int.self) ?? 0
    }

    private static func foldBatch(db: any Database, calendar: ProductionCalendar) async throws -> Int {
        try await db.transaction { db in
            guard let sql = db as? any SQLDatabase else { return 0 }
            if sql.dialect.name == "postgresql" {
                try await sql.raw("SELECT pg_advisory_xact_lock(\(bind: foldLock))").run()
            }
            // Claimed with a write first: on SQLite the transaction then holds the write lock from its
            // first statement, so a commit elsewhere cannot invalidate what it read (SQLITE_BUSY_SNAPSHOT).
            let dirty = try await sql.raw(
                """
                DELETE FROM stat_dirty WHERE seq IN (SELECT seq FROM stat_dirty ORDER BY seq LIMIT \(bind: batchSize)) \
                RETURNING seq, source, ref
                """
            ).all()
            guard !dirty.isEmpty else { return 0 }
            var refs: [Source: Set<UUID>] = [:]
            for row in dirty {
                guard let source = Source(rawValue: try row.decode(column: "source", as: String.self)) else { continue }
                refs[source, default: []].insert(try row.decode(column: "ref", as: UUID.self))
            }
            var deltas: [StatKey: StatAmount] = [:]
            var written: [(Source, UUID, String?)] = []
            for (source, ids) in refs {
                let list = Array(ids)
                let old = try await contributions(source, list, on: sql)
                let now: [UUID: [StatKey: StatAmount]]
                switch source {
                case .appeal:
                    now = try await appealFacts(list, on: sql).mapValues { StatContribution.of($0, calendar: calendar) }
                case .contact:
                    now = try await contactFacts(list, on: sql).mapValues { StatContribution.of($0, calendar: calendar) }
                }
                for id in list {
                    let before = old[id] ?? [:]
                    let after = now[id]
                    if before == (after ?? [:]), (after == nil) == (old[id] == nil) { continue }
                    for (key, amount) in before { deltas[key, default: .zero] += -amount }
                    for (key, amount) in after ?? [:] { deltas[key, default: .zero] += amount }
                    written.append((source, id, after.map(encode)))
                }
            }
            try await apply(deltas.filter { !$0.value.isZero }, calendar: calendar, on: sql)
            try await store(written, on: sql)
            return dirty.count
        }
    }

    /// Adds the deltas to the monthly sums.
    private static func apply(_ deltas: [StatKey: StatAmount], calendar: ProductionCalendar, on sql: any SQLDatabase) async throws {
        // Days fold into their month here.
        var monthly: [MonthKey: StatAmount] = [:]
        for (key, amount) in deltas {
            monthly[MonthKey(key), default: .zero] += amount
        }
        let rows = monthly.filter { !$0.value.isZero }.map { ($0.key, $0.value) }
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + upsertChunk, rows.count)]
            var values: [SQLQueryString] = []
            for (key, amount) in chunk {
                values.append(
                    "(\(bind: key.month), \(bind: key.organisation), \(bind: key.dimension), \(bind: key.value), \(bind: amount.count), \(bind: amount.amount), \(bind: amount.seconds))"
                )
            }
            let query: SQLQueryString = """
                INSERT INTO stat_counts (month, organisation_id, dimension, value, count, amount, seconds) \
                VALUES \(values.joined(separator: ", ")) \
                ON CONFLICT (dimension, month, organisation_id, value) DO UPDATE SET count = stat_counts.count + excluded.count, \
                amount = stat_counts.amount + excluded.amount, seconds = stat_counts.seconds + excluded.seconds
                """
            try await sql.raw(query).run()
            start += upsertChunk
        }
    }

    private struct MonthKey: Hashable {
        var month: Int
        var organisation: UUID
        var dimension: String
        var value: String

        init(_ key: StatKey) {
            month = StatMonth(key.day).code
            organisation = key.organisation ?? StatisticsStore.noOrganisation
            dimension = key.dimension.rawValue
            value = key.value
        }
    }

    // MARK: Contributions remembered per source

    /// One line per key: `yyyy-mm-dd \t organisation \t dimension \t value \t count \t amount \t seconds`.
    static func encode(_ contribution: [StatKey: StatAmount]) -> String {
        contribution.map { key, amount in
            [
                key.day.description, key.organisation?.uuidString ?? "", key.dimension.rawValue, key.value, String(amount.count),
                String(amount.amount), String(amount.seconds),
            ].joined(separator: "\t")
        }.sorted().joined(separator: "\n")
    }

    static func decode(_ text: String) -> [StatKey: StatAmount] {
        var out: [StatKey: StatAmount] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 7, let day = LocalDate(iso: parts[0]), let dimension = StatDimension(rawValue: parts[2]),
                let count = Int(parts[4]), let amount = Int(parts[5]), let seconds = Int(parts[6])
            else { continue }
            let key = StatKey(day: day, organisation: UUID(uuidString: parts[1]), dimension: dimension, value: parts[3])
            out[key, default: .zero] += StatAmount(count: count, amount: amount, seconds: seconds)
        }
        return out
    }

    private static func contributions(_ source: Source, _ ids: [UUID], on sql: any SQLDatabase) async throws -> [UUID: [StatKey: StatAmount]] {
        var out: [UUID: [StatKey: StatAmount]] = [:]
        for chunk in ids.chunked(by: 500) {
            let rows = try await sql.select().columns("ref", "keys").from("stat_contributions")
                .where("source", .equal, source.rawValue).where("ref", .in, chunk).all()
            for row in rows {
                out[try row.decode(column: "ref", as: UUID.self)] = decode(try row.decode(column: "keys", as: String.self))
            }
        }
        return out
    }

    private static func store(_ written: [(Source, UUID, String?)], on sql: any SQLDatabase) async throws {
        let removed = written.filter { $0.2 == nil }
        for chunk in removed.chunked(by: 500) {
            for (source, group) in Dictionary(grouping: chunk, by: { $0.0 }) {
                try await sql.delete(from: "stat_contributions").where("source", .equal, source.rawValue)
                    .where("ref", .in, group.map(\.1)).run()
            }
        }
        let kept = written.compactMap { item in item.2.map { (item.0, item.1, $0) } }
        for chunk in kept.chunked(by: upsertChunk) {
            let values: [SQLQueryString] = chunk.map { "(\(bind: $0.0.rawValue), \(bind: $0.1), \(bind: $0.2))" }
            let query: SQLQueryString = """
                INSERT INTO stat_contributions (source, ref, keys) VALUES \(values.joined(separator: ", ")) \
                ON CONFLICT (source, ref) DO UPDATE SET keys = excluded.keys
                """
            try await sql.raw(query).run()
        }
    }

    // MARK: Facts

    static let appealColumns = [
        "id", "registered_at", "executor_organisation_id", "status", "channel", "sphere", "category_code", "subcategory_code",
        "territory_id", "locality", "conflict_inn", "conflict_name", "outcome", "help_kind", "money_returned", "answered_at",
        "answer_due_at", "extended_days", "postponements", "rating", "rated_at", "executor_id", "assigned_at",
    ]

    static func appealFacts(_ ids: [UUID], on sql: any SQLDatabase) async throws -> [UUID: AppealFacts] {
        var out: [UUID: AppealFacts] = [:]
        for chunk in ids.chunked(by: 500) {
            let rows = try await sql.select().columns(appealColumns.map { SQLIdentifier($0) }).from("appeals")
                .where("id", .in, chunk).all()
            for row in rows {
                let (id, facts) = try appealFacts(row)
                out[id] = facts
            }
        }
        return out
    }

    static func appealFacts(_ row: any SQLRow) throws -> (UUID, AppealFacts) {
        func text(_ column: String) throws -> String? { try row.decode(column: column, as: String?.self) }
        let facts = AppealFacts(
            registeredAt: try row.decode(column: "registered_at", as: Date.self),
            organisation: try row.decode(column: "executor_organisation_id", as: UUID?.self),
            status: AppealStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .moderation,
            channel: IntakeChannel(rawValue: try row.decode(column: "channel", as: String.self)) ?? .portal,
            sphere: try text("sphere"),
            categoryCode: try row.decode(column: "category_code", as: String.self),
            subcategoryCode: try row.decode(column: "subcategory_code", as: String.self),
            territory: try row.decode(column: "territory_id", as: UUID.self),
            locality: try text("locality"),
            conflictINN: try text("conflict_inn"),
            conflictName: try text("conflict_name"),
            outcome: try text("outcome").flatMap(AnswerOutcome.init(rawValue:)),
            help: try text("help_kind").flatMap(HelpKind.init(rawValue:)),
            moneyReturned: try row.decode(column: "money_returned", as: Int?.self),
            answeredAt: try row.decode(column: "answered_at", as: Date?.self),
            answerDueAt: try row.decode(column: "answer_due_at", as: Date.self),
            extended: try row.decode(column: "extended_days", as: Int?.self) != nil,
            postponements: try row.decode(column: "postponements", as: Int?.self) ?? 0,
            rating: try row.decode(column: "rating", as: Int?.self),
            ratedAt: try row.decode(column: "rated_at", as: Date?.self),
            executor: try row.decode(column: "executor_id", as: UUID?.self),
            assignedAt: try row.decode(column: "assigned_at", as: Date?.self))
        return (try row.decode(column: "id", as: UUID.self), facts)
    }

    static let contactColumns = ["id", "kind", "occurred_at", "organisation_id", "operator_id", "sphere", "help_kind", "result", "money_returned"]

    static func contactFacts(_ ids: [UUID], on sql: any SQLDatabase) async throws -> [UUID: ContactFacts] {
        var out: [UUID: ContactFacts] = [:]
        for chunk in ids.chunked(by: 500) {
            let rows = try await sql.select().columns(contactColumns.map { SQLIdentifier($0) }).from("contacts")
                .where("id", .in, chunk).all()
            for row in rows {
                let (id, facts) = try contactFacts(row)
                out[id] = facts
            }
        }
        return out
    }

    static func contactFacts(_ row: any SQLRow) throws -> (UUID, ContactFacts) {
        let facts = ContactFacts(
            kind: ContactKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .hotline,
            occurredAt: try row.decode(column: "occurred_at", as: Date.self),
            organisation: try row.decode(column: "organisation_id", as: UUID?.self),
            sphere: try row.decode(column: "sphere", as: String?.self),
            help: HelpKind(rawValue: try row.decode(column: "help_kind", as: String.self)) ?? .oralConsultation,
            result: ReportResult(rawValue: try row.decode(column: "result", as: String.self)) ?? .explained,
            moneyReturned: try row.decode(column: "money_returned", as: Int?.self),
            operatorID: try row.decode(column: "operator_id", as: UUID?.self))
        return (try row.decode(column: "id", as: UUID.self), facts)
    }
}

extension Application {
    private struct StatisticsGateKey: StorageKey { typealias Value = AssignmentGate }

    /// One statistics fold at a time on a node (PostgreSQL's advisory lock covers several nodes).
    var statisticsGate: AssignmentGate {
        get { configured(StatisticsGateKey.self) }
        set { storage[StatisticsGateKey.self] = newValue }
    }
}

extension PeriodicLifecycle {
    /// Every two seconds: fold what changed into the monthly sums, so that reading figures rarely has
    /// anything left to fold.
    static var statistics: PeriodicLifecycle {
        PeriodicLifecycle("Statistics fold", every: .seconds(2)) { application in
            try await StatisticsStore.fold(app: application, maxBatches: 50)
        }
    }
}
