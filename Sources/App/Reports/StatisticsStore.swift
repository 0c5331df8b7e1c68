import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// The daily and monthly sums behind every dashboard and report (see `M0022CreateStatistics`,
/// `M0024StatisticsChangeRows`, `M0025StatisticsDays`).
///
/// Writers never touch the sums: triggers record each changed appeal or contact as change rows — the old
/// version with sign −1, the new with +1 — and the fold adds their signed contributions into
/// `stat_day_counts` and `stat_counts` in short transactions, off the request path (every two seconds)
/// and before any figure is read, so figures are exact to the moment they are asked. The fold never reads
/// the appeal itself.
enum StatisticsStore {
    /// «No organisation yet» in `stat_counts` (a unique index treats NULLs as all different).
    static let noOrganisation = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    static let batchSize = 1_000
    /// Rows per multi-row upsert (7 binds each: well inside both engines' limits).
    static let upsertChunk = 400
    /// PostgreSQL advisory lock: one fold at a time across nodes.
    static let foldLock: Int64 = 8_020_226

    // MARK: Fold

    /// Folds everything pending (up to `maxBatches` batches); returns how many sources were folded.
    @discardableResult
    /// `batchSize`: change rows per transaction of each kind; the background keeps the default (a short hold
    /// of SQLite's write lock), a bulk fold with nobody waiting takes many more at once (more of them
    /// share a month's key, so fewer upserts per row).
    static func fold(app: Application, maxBatches: Int = .max, batchSize: Int = StatisticsStore.batchSize) async throws -> Int {
        try await app.statisticsGate.run {
            var total = 0
            var batches = 0
            // Looked at without a transaction first: a read of the figures with nothing to fold never
            // waits for the write lock.
            while batches < maxBatches, try await hasPending(on: app.db) {
                let folded = try await foldBatch(db: app.db, calendar: app.productionCalendar, batchSize: batchSize)
                total += folded
                batches += 1
                if folded == 0 { break }
            }
            return total
        }
    }

    static func hasPending(on db: any Database) async throws -> Bool {
        guard let sql = db as? any SQLDatabase else { return false }
        let appeals = try await sql.raw("SELECT seq FROM stat_appeal_changes LIMIT 1").first()
        if appeals != nil { return true }
        return try await sql.raw("SELECT seq FROM stat_contact_changes LIMIT 1").first() != nil
    }

    /// How many change rows wait to be folded.
    static func pending(on db: any Database) async throws -> Int {
        guard let sql = db as? any SQLDatabase else { return 0 }
        return try await sql.raw(
            "SELECT (SELECT COUNT(*) FROM stat_appeal_changes) + (SELECT COUNT(*) FROM stat_contact_changes) AS n"
        ).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Counts everything again from the register (after a repair or a restore): the sums are emptied and
    /// every appeal and contact is noted as new, for the fold.
    static func rebuild(on db: any Database) async throws {
        try await db.transaction { db in
            guard let sql = db as? any SQLDatabase else { return }
            try await sql.raw("DELETE FROM stat_counts").run()
            try await sql.raw("DELETE FROM stat_day_counts").run()
            try await sql.raw("DELETE FROM stat_appeal_changes").run()
            try await sql.raw("DELETE FROM stat_contact_changes").run()
            for (table, changes, columns) in [
                ("appeals", "stat_appeal_changes", appealColumns), ("contacts", "stat_contact_changes", contactColumns),
            ] {
                let list = columns.joined(separator: ", ")
                try await sql.raw(SQLQueryString(
                    "INSERT INTO \(unsafeRaw: changes) (sign, \(unsafeRaw: list)) SELECT 1, \(unsafeRaw: list) FROM \(unsafeRaw: table)")).run()
            }
        }
    }

    private static func foldBatch(db: any Database, calendar: ProductionCalendar, batchSize: Int) async throws -> Int {
        try await db.transaction { db in
            guard let sql = db as? any SQLDatabase else { return 0 }
            if sql.dialect.name == "postgresql" {
                try await sql.raw("SELECT pg_advisory_xact_lock(\(bind: foldLock))").run()
            }
            var deltas: [StatKey: StatAmount] = [:]
            let names = StatContribution.Names()
            func add(_ contribution: [StatKey: StatAmount], sign: Int) {
                for (key, amount) in contribution { deltas[key, default: .zero] += sign > 0 ? amount : -amount }
            }
            // Claimed with a write first: on SQLite the transaction then holds the write lock from its
            // first statement, so a commit elsewhere cannot invalidate what it read (SQLITE_BUSY_SNAPSHOT).
            let appeals = try await sql.raw(SQLQueryString("""
                DELETE FROM stat_appeal_changes WHERE seq IN (SELECT seq FROM stat_appeal_changes ORDER BY seq LIMIT \(bind: batchSize)) \
                RETURNING sign, \(unsafeRaw: appealColumns.joined(separator: ", "))
                """)).all()
            for row in appeals {
                add(
                    StatContribution.of(try appealFacts(row).1, calendar: calendar, names: names),
                    sign: try row.decode(column: "sign", as: Int.self))
            }
            let contacts = try await sql.raw(SQLQueryString("""
                DELETE FROM stat_contact_changes WHERE seq IN (SELECT seq FROM stat_contact_changes ORDER BY seq LIMIT \(bind: batchSize)) \
                RETURNING sign, \(unsafeRaw: contactColumns.joined(separator: ", "))
                """)).all()
            for row in contacts {
                add(StatContribution.of(try contactFacts(row).1, calendar: calendar), sign: try row.decode(column: "sign", as: Int.self))
            }
            try await apply(deltas.filter { !$0.value.isZero }, calendar: calendar, on: sql)
            return appeals.count + contacts.count
        }
    }

    /// Adds the deltas to the daily and the monthly sums.
    private static func apply(_ deltas: [StatKey: StatAmount], calendar: ProductionCalendar, on sql: any SQLDatabase) async throws {
        var daily: [SumKey: StatAmount] = [:]
        var monthly: [SumKey: StatAmount] = [:]
        for (key, amount) in deltas {
            let day = SumKey(key)
            daily[day, default: .zero] += amount
            monthly[SumKey(period: day.period / 100, day), default: .zero] += amount
        }
        try await upsert(daily, into: "stat_day_counts", period: "day", on: sql)
        try await upsert(monthly, into: "stat_counts", period: "month", on: sql)
    }

    private static func upsert(_ sums: [SumKey: StatAmount], into table: String, period: String, on sql: any SQLDatabase) async throws {
        let rows = sums.filter { !$0.value.isZero }.map { ($0.key, $0.value) }
        for chunk in rows.chunked(by: upsertChunk) {
            let values: [SQLQueryString] = chunk.map { key, amount in
                "(\(bind: key.period), \(bind: key.organisation), \(bind: key.dimension), \(bind: key.value), \(bind: amount.count), \(bind: amount.amount), \(bind: amount.seconds))"
            }
            let query: SQLQueryString = """
                INSERT INTO \(unsafeRaw: table) (\(unsafeRaw: period), organisation_id, dimension, value, count, amount, seconds) \
                VALUES \(values.joined(separator: ", ")) \
                ON CONFLICT (dimension, \(unsafeRaw: period), organisation_id, value) DO UPDATE SET \
                count = \(unsafeRaw: table).count + excluded.count, amount = \(unsafeRaw: table).amount + excluded.amount, \
                seconds = \(unsafeRaw: table).seconds + excluded.seconds
                """
            try await sql.raw(query).run()
        }
    }

    /// The day as `yyyymmdd` (the key of `stat_day_counts`); divided by 100 it is the month's code.
    static func dayCode(_ day: LocalDate) -> Int { day.year * 10_000 + day.month * 100 + day.day }

    /// A row of the sums: `period` is a day code or a month code.
    private struct SumKey: Hashable {
        var period: Int
        var organisation: UUID
        var dimension: String
        var value: String

        init(_ key: StatKey) {
            period = StatisticsStore.dayCode(key.day)
            organisation = key.organisation ?? StatisticsStore.noOrganisation
            dimension = key.dimension.rawValue
            value = key.value
        }

        init(period: Int, _ other: SumKey) {
            self = other
            self.period = period
        }
    }

    // MARK: Facts

    static let appealColumns = M0024StatisticsChangeRows.appealColumns

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

    static let contactColumns = M0024StatisticsChangeRows.contactColumns

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
