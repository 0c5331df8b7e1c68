import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// The coordinator workspace (product.md §4, seed 004): one organisation's folders with live counts and
/// a filtered, keyset-paged list. Pages and the API share it.
enum WorkspaceService {
    struct Filter: Sendable {
        var folder: WorkspaceFolder = .new
        /// Only appeals whose answer is due before the start of this day.
        var dueBefore: LocalDate?
        var onlyOverdue = false
        var onlyDelegated = false
        var channel: IntakeChannel?
        var stage: AppealStage?
        var search: String?
        var newestFirst = false
        var limit = 50
        var after: (year: Int, sequence: Int)?
        /// An executor's own appeals only.
        var executorID: UUID?

        static let pageSizes = [10, 50, 100]

        /// Reads the query string; unknown values fall back to the defaults rather than failing the page.
        init(query: any URLQueryContainer) {
            if let raw = try? query.get(String.self, at: "folder"), let folder = WorkspaceFolder(rawValue: raw) { self.folder = folder }
            dueBefore = (try? query.get(String.self, at: "dueBefore")).flatMap { LocalDate(iso: $0) }
            onlyOverdue = (try? query.get(String.self, at: "overdue")) == "1"
            onlyDelegated = (try? query.get(String.self, at: "delegated")) == "1"
            channel = (try? query.get(String.self, at: "channel")).flatMap(IntakeChannel.init(rawValue:))
            stage = (try? query.get(String.self, at: "stage")).flatMap(AppealStage.init(rawValue:))
            search = (try? query.get(String.self, at: "q"))?.trimmingWhitespace().nonBlank.map { String($0.prefix(200)) }
            newestFirst = (try? query.get(String.self, at: "sort")) == "desc"
            if let size = try? query.get(Int.self, at: "limit"), Self.pageSizes.contains(size) { limit = size }
            if let raw = try? query.get(String.self, at: "after") {
                let parts = raw.split(separator: "-").compactMap { Int($0) }
                if parts.count == 2 { after = (parts[0], parts[1]) }
            }
        }

        init() {}
    }

    struct Page {
        var items: [WorkspaceItem]
        var next: String?
    }

    /// The organisations whose workspace the person may open, and whether they see all of its appeals
    /// (coordinators, managers, curators, admins) or only their own (executors).
    static func reach(of actor: Actor, tree: OrganisationTree, organisations: [Organisation]) -> [(organisation: Organisation, all: Bool)] {
        organisations.compactMap { organisation in
            guard let id = organisation.id, organisation.isActive else { return nil }
            let scope = Scope.organisation(id)
            let all = [Action.coordinate, .approveAnswers, .superviseQuality].contains { Policy.permits(actor, $0, in: scope, tree: tree) }
            if all { return (organisation, true) }
            if Policy.permits(actor, .execute, in: scope, tree: tree) { return (organisation, false) }
            return nil
        }
    }

    static func counts(organisation: UUID, executorID: UUID?, on db: any Database) async throws -> [WorkspaceFolder: Int] {
        guard let executorID else { return try await FolderCounts.counts(of: [organisation], on: db) }
        guard let sql = db as? any SQLDatabase else { return [:] }
        let rows = try await sql.select().column("folder").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from("appeals").where("executor_id", .equal, executorID).where("executor_organisation_id", .equal, organisation)
            .where("folder", .isNot, SQLLiteral.null).groupBy("folder").all()
        var result: [WorkspaceFolder: Int] = [:]
        for row in rows {
            if let folder = WorkspaceFolder(rawValue: try row.decode(column: "folder", as: String.self)) {
                result[folder] = try row.decode(column: "n", as: Int.self)
            }
        }
        return result
    }

    /// The columns a list row shows, read straight into `WorkspaceItem`: a Fluent model of the appeal
    /// (60 properties, reflected per row) costs far more than the query over a million rows.
    static func select(_ sql: any SQLDatabase) -> SQLSelectBuilder {
        sql.select().columns(
            "id", "number", "year", "sequence", "channel", "status", "category_name", "subcategory_name", "fast_track", "locality",
            "territory_id", "executor_organisation_id", "executor_id", "problem_address", "registered_at", "answer_due_at",
            "coordination_due_at", "folder", "delegated_by_rule", "stage"
        )
        .column(SQLFunction("substr", args: SQLColumn("text"), SQLLiteral.numeric("1"), SQLLiteral.numeric("200")), as: "excerpt")
        .from("appeals")
    }

    static func list(organisation: UUID, filter: Filter, now: Date, calendar: ProductionCalendar, on db: any Database)
        async throws -> Page
    {
        guard let sql = db as? any SQLDatabase else { throw AppError.badRequest("SQL database required") }
        var query = select(sql).where("executor_organisation_id", .equal, organisation).where("folder", .equal, filter.folder.rawValue)
        if let executorID = filter.executorID { query = query.where("executor_id", .equal, executorID) }
        if let day = filter.dueBefore { query = query.where("answer_due_at", .lessThan, calendar.start(of: day)) }
        if filter.onlyOverdue { query = query.where("answer_due_at", .lessThan, now) }
        if filter.onlyDelegated { query = query.where("delegated_by_rule", .equal, true) }
        if let channel = filter.channel { query = query.where("channel", .equal, channel.rawValue) }
        if let stage = filter.stage { query = query.where("stage", .equal, stage.rawValue) }
        if let search = filter.search {
            if let number = RegistrationNumber(search) {
                query = query.where("number", .equal, number.description)
            } else {
                // Until the portal's full-text index (issue 6): a substring of the text or the number, in the
                // case typed, lower case and capitalised (SQLite's LIKE folds ASCII only).
                let variants = Set([search, search.lowercased(), search.prefix(1).uppercased() + search.dropFirst().lowercased()])
                query = query.where { group in
                    var group = group.orWhere("number", .like, "%\(search)%")
                    for variant in variants { group = group.orWhere("text", .like, "%\(variant)%") }
                    return group
                }
            }
        }
        if let after = filter.after {
            let forward: SQLBinaryOperator = filter.newestFirst ? .lessThan : .greaterThan
            query = query.where { group in
                group.where("year", forward, after.year).orWhere { inner in
                    inner.where("year", .equal, after.year).where("sequence", forward, after.sequence)
                }
            }
        }
        let direction: SQLDirection = filter.newestFirst ? .descending : .ascending
        let rows = try await query.orderBy("year", direction).orderBy("sequence", direction).limit(filter.limit + 1)
            .all(decoding: WorkspaceItem.self)
        let page = Array(rows.prefix(filter.limit))
        return Page(items: page, next: rows.count > filter.limit ? page.last.map { "\($0.year)-\($0.sequence)" } : nil)
    }
}

/// One appeal as a list shows it (workspace, curator), read without the Fluent model.
struct WorkspaceItem: Decodable, Sendable {
    var id: UUID
    var number: String
    var year: Int
    var sequence: Int
    var channel: IntakeChannel
    var status: AppealStatus
    var categoryName: String
    var subcategoryName: String
    var fastTrack: Bool
    var excerpt: String
    var locality: String?
    var territoryId: UUID
    var executorOrganisationId: UUID?
    var executorId: UUID?
    var problemAddress: String?
    var registeredAt: Date
    var answerDueAt: Date
    var coordinationDueAt: Date?
    var folder: WorkspaceFolder?
    var delegatedByRule: Bool
    var stage: AppealStage?

    /// The column names, spelled out: SQLKit's snake-case key conversion costs more per row than the rest.
    enum CodingKeys: String, CodingKey {
        case id, number, year, sequence, channel, status, excerpt, locality, folder, stage
        case categoryName = "category_name", subcategoryName = "subcategory_name", fastTrack = "fast_track"
        case territoryId = "territory_id", executorOrganisationId = "executor_organisation_id", executorId = "executor_id"
        case problemAddress = "problem_address", registeredAt = "registered_at", answerDueAt = "answer_due_at"
        case coordinationDueAt = "coordination_due_at", delegatedByRule = "delegated_by_rule"
    }
}
