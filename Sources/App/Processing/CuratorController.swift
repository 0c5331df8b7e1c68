import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// The curator's lists across the organisations in their scope (product.md §4): overdue, due within
/// one working day, and low-rated answers. Returning an answered appeal to rework is an action on the card.
struct CuratorController: RouteCollection {
    enum List: String, CaseIterable, Sendable {
        case overdue
        case dueSoon = "due_soon"
        case lowRated = "low_rated"

        var title: String {
            switch self {
            case .overdue: "Просроченные"
            case .dueSoon: "Срок истекает в течение рабочего дня"
            case .lowRated: "Низкая оценка заявителя"
            }
        }
    }

    static let openFolders: [WorkspaceFolder] = [.new, .returnedFrom, .inWork, .returnedWithin, .postponed, .answerPrepared]

    func boot(routes: any RoutesBuilder) throws {
        routes.get("curator", use: page)
    }

    struct API: RouteCollection {
        func boot(routes: any RoutesBuilder) throws {
            routes.get("curator", "appeals", use: { request async throws -> CuratorDTO in
                _ = try request.requireUser()
                return try await CuratorController.lists(request)
            }).document(.init(
                "Контроль куратора: просроченные, истекающие, с низкой оценкой",
                query: [.oneOf("list", List.allCases.map(\.rawValue), "Список (по умолчанию просроченные)")]))
        }
    }

    struct CuratorDTO: Content {
        var list: String
        var items: [WorkspaceRow]
        var more: Bool
    }

    static func lists(_ request: Request) async throws -> CuratorDTO {
        let actor = try await request.requireActor()
        let db = request.db
        let tree = try await OrganisationQueries.tree(on: db)
        guard Policy.permitsAnywhere(actor, .superviseQuality, tree: tree) else { throw AppError.forbidden }
        let list = (try? request.query.get(String.self, at: "list")).flatMap(List.init(rawValue:)) ?? .overdue
        let now = request.now
        let calendar = request.application.productionCalendar
        guard let sql = db as? any SQLDatabase else { throw AppError.badRequest("SQL database required") }
        let open = Self.openFolders.map(\.rawValue)
        var query = WorkspaceService.select(sql)
        switch list {
        case .overdue:
            query = query.where("folder", .in, open).where("answer_due_at", .lessThan, now).orderBy("answer_due_at")
        case .dueSoon:
            // Due before the end of the next working day.
            let limit = calendar.due(from: now, days: 1, type: .working)
            query = query.where("folder", .in, open).where("answer_due_at", .greaterThanOrEqual, now)
                .where("answer_due_at", .lessThanOrEqual, limit).orderBy("answer_due_at")
        case .lowRated:
            query = query.where("curator_attention", .equal, true).orderBy("rated_at", .descending)
        }
        if !Policy.permits(actor, .superviseQuality, in: .platform, tree: tree) {
            let reach = tree.ids.filter { Policy.permits(actor, .superviseQuality, in: .organisation($0), tree: tree) }
            query = query.where("executor_organisation_id", .in, Array(reach))
        }
        let appeals = try await query.limit(201).all(decoding: WorkspaceItem.self)
        return CuratorDTO(
            list: list.rawValue, items: try await DeskController.rows(Array(appeals.prefix(200)), now: now, on: db),
            more: appeals.count > 200)
    }

    struct Page: Encodable {
        var layout: Layout
        var lists: [Choice]
        var title: String
        var list: CuratorDTO
        var empty: Bool
    }

    @Sendable
    func page(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let result = try await Self.lists(request)
        let list = List(rawValue: result.list) ?? .overdue
        return try await request.render(
            "desk/curator",
            Page(
                layout: await Layout.make(for: request, title: "Контроль сроков и качества"),
                lists: List.allCases.map { Choice(value: $0.rawValue, label: $0.title, selected: $0 == list) }, title: list.title,
                list: result, empty: result.items.isEmpty))
    }
}
