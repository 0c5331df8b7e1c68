import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// One read of an appeal card's personal data by someone other than its applicant.
final class PersonalDataRead: Model, @unchecked Sendable {
    static let schema = "personal_data_reads"

    @ID(key: .id) var id: UUID?
    @Field(key: "at") var at: Date
    @Field(key: "user_id") var userID: UUID
    @Field(key: "appeal_id") var appealID: UUID
    @Field(key: "appeal_number") var appealNumber: String
    /// The page or API path it was read through.
    @Field(key: "via") var via: String
    @Field(key: "address") var address: String

    init() {}
}

/// The record of who read which card, and the admins' view of it. A read is recorded before the card
/// is shown: if it cannot be recorded, the card is not shown either.
enum PersonalDataLog {
    /// Records that the signed-in person is reaching `appeals` (nothing for the applicant's own card).
    /// Whatever the method: an action's answer, and a refused form redrawn, show the card too.
    static func record(_ appeals: [Appeal], on request: Request) async throws {
        guard let user = request.currentUser, let userID = user.id else { return }
        let now = request.now
        let via = String(request.url.path.prefix(200))
        let address = request.clientAddress
        let rows = appeals.compactMap { appeal -> PersonalDataRead? in
            guard appeal.userID != userID, let id = appeal.id else { return nil }
            let row = PersonalDataRead()
            row.at = now
            row.userID = userID
            row.appealID = id
            row.appealNumber = appeal.number
            row.via = via
            row.address = address
            return row
        }
        if !rows.isEmpty { try await rows.create(on: request.db) }
    }

    static func record(_ appeal: Appeal, on request: Request) async throws {
        try await record([appeal], on: request)
    }

    struct Entry: Content {
        var at: Date
        var appealNumber: String
        var userId: UUID
        var userName: String
        var userEmail: String?
        var via: String
        var address: String
    }

    struct Page: Content {
        var items: [Entry]
        /// The cursor of the next (older) page.
        var next: String?
    }

    /// Newest first, optionally for one appeal or one reader (by e-mail); keyset pages by (at, id).
    static func entries(number: String?, reader: String?, after: String?, limit: Int, on db: any Database) async throws -> Page {
        guard let sql = db as? any SQLDatabase else { throw AppError.badRequest("SQL database required") }
        var select = sql.select().column("*").from(PersonalDataRead.schema)
        if let number { select = select.where("appeal_number", .equal, number) }
        if let reader {
            guard let user = try await User.query(on: db).filter(\.$email == reader.lowercased()).first(), let id = user.id else {
                return Page(items: [], next: nil)
            }
            select = select.where("user_id", .equal, id)
        }
        if let after {
            // The cursor is the last row's id; the comparison takes its time from the row itself (a time
            // read back and bound again is not always the same float).
            guard let id = UUID(uuidString: after), try await PersonalDataRead.find(id, on: db) != nil else {
                throw ValidationFailure([FieldError("after", .invalidValue)])
            }
            select = select.where(SQLQueryString("(at, id) < (SELECT c.at, c.id FROM personal_data_reads c WHERE c.id = \(bind: id))"))
        }
        let rows = try await select.orderBy("at", .descending).orderBy("id", .descending).limit(limit).all()
            .map { try $0.decode(fluentModel: PersonalDataRead.self) }
        let users = try await User.query(on: db).filter(\.$id ~~ Set(rows.map(\.userID))).all()
        let byID = Dictionary(users.compactMap { user in user.id.map { ($0, user) } }, uniquingKeysWith: { first, _ in first })
        let items = rows.map { row in
            Entry(
                at: row.at, appealNumber: row.appealNumber, userId: row.userID, userName: byID[row.userID]?.name ?? "—",
                userEmail: byID[row.userID]?.email, via: row.via, address: row.address)
        }
        let next = rows.count == limit ? rows.last?.id?.uuidString : nil
        return Page(items: items, next: next)
    }
}

/// `/admin/personal-data` (page) and `GET /api/v1/audit/personal-data` for platform admins.
struct PersonalDataLogController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("admin", "personal-data", use: page)
    }

    func bootAPI(_ api: any RoutesBuilder) {
        api.get("audit", "personal-data", use: { request async throws -> PersonalDataLog.Page in
            try await Self.load(request)
        }).document(.init(
            "Журнал доступа к персональным данным",
            description: "Кто и когда открывал карточки обращений с персональными данными заявителей; новые первыми. "
                + "Только администраторам платформы.",
            query: [
                .string("number", "Номер обращения"), .string("reader", "Адрес почты сотрудника"),
                .integer("limit", "Сколько на странице (1–200, по умолчанию 50)", minimum: 1, maximum: 200),
                .string("after", "Курсор следующей страницы (поле next)"),
            ]))
    }

    static func load(_ request: Request) async throws -> PersonalDataLog.Page {
        _ = try request.requireUser()
        try await request.authorize(.auditPersonalData, in: .platform)
        let limit = min(max((try? request.query.get(Int.self, at: "limit")) ?? 50, 1), 200)
        return try await PersonalDataLog.entries(
            number: (try? request.query.get(String.self, at: "number"))?.nonBlank,
            reader: (try? request.query.get(String.self, at: "reader"))?.nonBlank,
            after: (try? request.query.get(String.self, at: "after"))?.nonBlank, limit: limit, on: request.db)
    }

    struct Row: Encodable {
        var at: String
        var number: String
        var reader: String
        var email: String
        var via: String
        var address: String
    }

    struct Page: Encodable {
        var layout: Layout
        var rows: [Row]
        var number: String
        var reader: String
        var nextLink: String?
    }

    @Sendable
    func page(request: Request) async throws -> Response {
        let loaded = try await Self.load(request)
        let number = (try? request.query.get(String.self, at: "number")) ?? ""
        let reader = (try? request.query.get(String.self, at: "reader")) ?? ""
        var next: String?
        if let cursor = loaded.next {
            var components = URLComponents()
            components.queryItems = [
                URLQueryItem(name: "number", value: number), URLQueryItem(name: "reader", value: reader),
                URLQueryItem(name: "after", value: cursor),
            ]
            next = "/admin/personal-data?" + (components.percentEncodedQuery ?? "")
        }
        return try await request.render(
            "admin/personal-data",
            Page(
                layout: await Layout.make(for: request, title: "Журнал доступа к персональным данным"),
                rows: loaded.items.map {
                    Row(
                        at: Strings.dateTime($0.at), number: $0.appealNumber, reader: $0.userName, email: $0.userEmail ?? "",
                        via: $0.via, address: $0.address)
                }, number: number, reader: reader, nextLink: next))
    }
}
