import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// Whose figures: the whole region, or a set of organisations (an organisation's staff see their own
/// organisation and those under it).
enum StatScope: Sendable, Equatable {
    case region
    case organisations([UUID])

    func includes(_ organisation: UUID?) -> Bool {
        switch self {
        case .region: true
        case .organisations(let ids): organisation.map(ids.contains) ?? false
        }
    }
}

/// A sum of the statistics, kept apart by month and organisation when asked.
struct StatRowKey: Hashable, Sendable {
    var month: Int?
    var organisation: UUID?
    var dimension: StatDimension
    var value: String
}

/// Reads the sums for any period: the months wholly inside it from `stat_counts`, the days before and
/// after them from `stat_day_counts`; the fold writes both from the same contributions, so they agree.
enum StatisticsQuery {
    struct Grouping: OptionSet, Sendable, Hashable {
        let rawValue: Int
        static let month = Grouping(rawValue: 1)
        static let organisation = Grouping(rawValue: 2)
    }

    /// One read of the sums: which dimensions, kept apart by what.
    struct Ask: Sendable {
        var dimensions: Set<StatDimension>
        var grouping: Grouping = []
    }

    static func fetch(
        _ dimensions: Set<StatDimension>, period: StatPeriod, scope: StatScope, by grouping: Grouping = [], app: Application
    ) async throws -> [StatRowKey: StatAmount] {
        try await fetch([Ask(dimensions: dimensions, grouping: grouping)], period: period, scope: scope, app: app)[0]
    }

    /// Several reads of one period at once.
    static func fetch(_ asks: [Ask], period: StatPeriod, scope: StatScope, app: Application) async throws -> [[StatRowKey: StatAmount]] {
        guard let sql = app.db as? any SQLDatabase else { return asks.map { _ in [:] } }
        if case .organisations(let ids) = scope, ids.isEmpty { return asks.map { _ in [:] } }
        try await StatisticsStore.fold(app: app)
        let split = period.split
        // The edge days are read once for every ask, at the finest grain, and added up per ask below.
        var edges: [StatRowKey: StatAmount] = [:]
        let everything = Ask(dimensions: asks.reduce(into: []) { $0.formUnion($1.dimensions) }, grouping: [.month, .organisation])
        for days in [split.head, split.tail].compactMap({ $0 }) where !everything.dimensions.isEmpty {
            try await sums(
                everything, table: "stat_day_counts", period: "day",
                from: StatisticsStore.dayCode(days.lowerBound), to: StatisticsStore.dayCode(days.upperBound),
                month: SQLRaw("day / 100"), scope: scope, sql: sql, into: &edges)
        }
        var results: [[StatRowKey: StatAmount]] = []
        for ask in asks {
            var out: [StatRowKey: StatAmount] = [:]
            if let months = split.months, !ask.dimensions.isEmpty {
                try await sums(
                    ask, table: "stat_counts", period: "month", from: months.lowerBound.code, to: months.upperBound.code,
                    month: SQLIdentifier("month"), scope: scope, sql: sql, into: &out)
            }
            for (key, amount) in edges where ask.dimensions.contains(key.dimension) {
                let row = StatRowKey(
                    month: ask.grouping.contains(.month) ? key.month : nil,
                    organisation: ask.grouping.contains(.organisation) ? key.organisation : nil,
                    dimension: key.dimension, value: key.value)
                out[row, default: .zero] += amount
            }
            results.append(out.filter { !$0.value.isZero })
        }
        return results
    }

    /// Adds the sums of one table over a range of its periods (months or days) to `out`.
    private static func sums(
        _ ask: Ask, table: String, period: String, from lower: Int, to upper: Int, month: any SQLExpression,
        scope: StatScope, sql: any SQLDatabase, into out: inout [StatRowKey: StatAmount]
    ) async throws {
        let grouping = ask.grouping
        var query = sql.select().column("dimension").column("value")
            // PostgreSQL sums BIGINTs into NUMERIC: cast back.
            .column(SQLRaw("CAST(SUM(count) AS BIGINT)"), as: "n")
            .column(SQLRaw("CAST(SUM(amount) AS BIGINT)"), as: "amount")
            .column(SQLRaw("CAST(SUM(seconds) AS BIGINT)"), as: "seconds")
            .from(table)
            .where("dimension", .in, ask.dimensions.map(\.rawValue))
            .where(SQLIdentifier(period), .greaterThanOrEqual, SQLBind(lower))
            .where(SQLIdentifier(period), .lessThanOrEqual, SQLBind(upper))
            .groupBy("dimension").groupBy("value")
        if grouping.contains(.month) { query = query.column(month, as: "month").groupBy(month) }
        if grouping.contains(.organisation) { query = query.column("organisation_id").groupBy("organisation_id") }
        if case .organisations(let ids) = scope { query = query.where("organisation_id", .in, ids) }
        for row in try await query.all() {
            guard let dimension = StatDimension(rawValue: try row.decode(column: "dimension", as: String.self)) else { continue }
            let organisation = grouping.contains(.organisation) ? try row.decode(column: "organisation_id", as: UUID.self) : nil
            let key = StatRowKey(
                month: grouping.contains(.month) ? try row.decode(column: "month", as: Int.self) : nil,
                organisation: organisation == StatisticsStore.noOrganisation ? nil : organisation,
                dimension: dimension, value: try row.decode(column: "value", as: String.self))
            let amount = StatAmount(
                count: try row.decode(column: "n", as: Int?.self) ?? 0, amount: try row.decode(column: "amount", as: Int?.self) ?? 0,
                seconds: try row.decode(column: "seconds", as: Int?.self) ?? 0)
            out[key, default: .zero] += amount
        }
    }

    /// Sums over everything but the dimension and value.
    static func totals(
        _ dimensions: Set<StatDimension>, period: StatPeriod, scope: StatScope, app: Application
    ) async throws -> [StatDimension: [String: StatAmount]] {
        var out: [StatDimension: [String: StatAmount]] = [:]
        for (key, amount) in try await fetch(dimensions, period: period, scope: scope, app: app) {
            out[key.dimension, default: [:]][key.value, default: .zero] += amount
        }
        return out
    }

    static func byDimension(_ rows: [StatRowKey: StatAmount]) -> [StatDimension: [String: StatAmount]] {
        var out: [StatDimension: [String: StatAmount]] = [:]
        for (key, amount) in rows { out[key.dimension, default: [:]][key.value, default: .zero] += amount }
        return out
    }

    /// Open appeals past their answer term now, per organisation. Counted organisation by organisation,
    /// so each count is one range of the workspace index (organisation, folder, due) holding only the
    /// overdue appeals, rather than a pass over every open appeal in the region.
    static func overdueNow(scope: StatScope, now: Date, on db: any Database) async throws -> [UUID?: Int] {
        guard let sql = db as? any SQLDatabase else { return [:] }
        let open = WorkspaceFolder.allCases.filter { $0 != .done }.map(\.rawValue)
        var query: SQLQueryString = """
            SELECT o.id AS organisation, (SELECT COUNT(*) FROM appeals a WHERE a.executor_organisation_id = o.id \
            AND a.folder IN (\(binds: open)) AND a.answer_due_at < \(bind: now)) AS n FROM organisations o
            """
        if case .organisations(let ids) = scope {
            guard !ids.isEmpty else { return [:] }
            query = query + " WHERE o.id IN (\(binds: ids))"
        }
        var out: [UUID?: Int] = [:]
        for row in try await sql.raw(query).all() {
            let count = try row.decode(column: "n", as: Int.self)
            if count > 0 { out[try row.decode(column: "organisation", as: UUID.self)] = count }
        }
        return out
    }
}
