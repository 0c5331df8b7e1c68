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
        var appeals: [Appeal]
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

    /// Only the columns a list row shows: a third of the appeal's, and none of the applicant's
    /// personal data beyond the locality. Rows loaded so must not be saved.
    static func rowFields(_ query: QueryBuilder<Appeal>) -> QueryBuilder<Appeal> {
        query.field(\.$id).field(\.$number).field(\.$year).field(\.$sequence).field(\.$channel).field(\.$status)
            .field(\.$categoryName).field(\.$subcategoryName).field(\.$fastTrack).field(\.$text).field(\.$locality)
            .field(\.$territory.$id).field(\.$executorOrganisation.$id).field(\.$executor.$id).field(\.$problemAddress)
            .field(\.$registeredAt).field(\.$answerDueAt).field(\.$coordinationDueAt).field(\.$folder).field(\.$delegatedByRule)
            .field(\.$stage)
    }

    static func list(organisation: UUID, filter: Filter, now: Date, calendar: ProductionCalendar, on db: any Database)
        async throws -> Page
    {
        var query = Appeal.query(on: db).filter(\.$executorOrganisation.$id == organisation).filter(\.$folder == filter.folder)
        if let executorID = filter.executorID { query = query.filter(\.$executor.$id == executorID) }
        if let day = filter.dueBefore { query = query.filter(\.$answerDueAt < calendar.start(of: day)) }
        if filter.onlyOverdue { query = query.filter(\.$answerDueAt < now) }
        if filter.onlyDelegated { query = query.filter(\.$delegatedByRule == true) }
        if let channel = filter.channel { query = query.filter(\.$channel == channel) }
        if let stage = filter.stage { query = query.filter(\.$stage == stage) }
        if let search = filter.search {
            if let number = RegistrationNumber(search) {
                query = query.filter(\.$number == number.description)
            } else {
                // Until the portal's full-text index (issue 6): a substring of the text or the number, in the
                // case typed, lower case and capitalised (SQLite's LIKE folds ASCII only).
                let variants = Set([search, search.lowercased(), search.prefix(1).uppercased() + search.dropFirst().lowercased()])
                query = query.group(.or) { group in
                    group.filter(\.$number, .custom("LIKE"), "%\(search)%")
                    for variant in variants { group.filter(\.$text, .custom("LIKE"), "%\(variant)%") }
                }
            }
        }
        if let after = filter.after {
            if filter.newestFirst {
                query = query.group(.or) { group in
                    group.filter(\.$year < after.year).group(.and) { $0.filter(\.$year == after.year).filter(\.$sequence < after.sequence) }
                }
            } else {
                query = query.group(.or) { group in
                    group.filter(\.$year > after.year).group(.and) { $0.filter(\.$year == after.year).filter(\.$sequence > after.sequence) }
                }
            }
        }
        let direction: DatabaseQuery.Sort.Direction = filter.newestFirst ? .descending : .ascending
        let rows = try await rowFields(query).sort(\.$year, direction).sort(\.$sequence, direction).limit(filter.limit + 1).all()
        let page = Array(rows.prefix(filter.limit))
        return Page(appeals: page, next: rows.count > filter.limit ? page.last.map { "\($0.year)-\($0.sequence)" } : nil)
    }
}
