import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// Open data (issue 8 item 5): the register without personal data — no names, contacts, birth dates,
/// addresses, companies (a sole trader's name is a person's) or free text — as CSV and JSON for the
/// region's open-data portal. Public; a period of at most a year, streamed page by page so a large
/// register never sits in memory. Appeals still in moderation are not published.
struct OpenDataController: RouteCollection {
    static let pageSize = 2_000
    static let maxDays = 366

    func boot(routes: any RoutesBuilder) throws {
        routes.get("opendata", "appeals.csv") { try await Self.export($0, json: false) }
        routes.get("opendata", "appeals.json") { try await Self.export($0, json: true) }.document(.init(
            "Открытые данные: обращения без персональных данных",
            description: "Без имён, контактов, адресов, названий организаций и текстов. Период не длиннее года; по умолчанию прошлый месяц. "
                + "То же в CSV: /opendata/appeals.csv.",
            access: .open,
            query: [.date("from", "Первый день периода"), .date("to", "Последний день периода")],
            response: [Record].self))
    }

    /// One published record.
    struct Record: Codable {
        var number: String
        var registered: String
        var channel: String
        var sphere: String
        var categoryCode: String
        var category: String
        var subcategoryCode: String
        var subcategory: String
        var territory: String
        var organisation: String
        var status: String
        var result: String
        var help: String
        var answered: String
        var answeredOnTime: Bool?
        var rating: Int?
    }

    static let csvHeaders = [
        "number", "registered", "channel", "sphere", "category_code", "category", "subcategory_code", "subcategory", "territory",
        "organisation", "status", "result", "help", "answered", "answered_on_time", "rating",
    ]

    static let columns = [
        "id", "number", "registered_at", "channel", "sphere", "category_code", "category_name", "subcategory_code", "subcategory_name",
        "territory_id", "executor_organisation_id", "status", "outcome", "help_kind", "answered_at", "answer_due_at", "rating",
    ]

    static func export(_ request: Request, json: Bool) async throws -> Response {
        let calendar = request.application.productionCalendar
        let today = calendar.localDate(of: request.now)
        func date(_ name: String) throws -> LocalDate? {
            guard let raw = (try? request.query.get(String.self, at: name))?.nonBlank else { return nil }
            guard let value = LocalDate(iso: raw) else { throw ValidationFailure([FieldError(name, .invalidDate)]) }
            return value
        }
        // By default the last whole month.
        let lastMonth = StatMonth(today).previous
        let from = try date("from") ?? lastMonth.first
        let to = try date("to") ?? lastMonth.last
        guard to >= from else { throw ValidationFailure([FieldError("to", .endBeforeStart)]) }
        guard to.dayNumber - from.dayNumber < maxDays else { throw ValidationFailure([FieldError("to", .periodTooLong)]) }
        guard let sql = request.db as? any SQLDatabase else { throw AppError.badRequest("SQL database required") }
        let names = try await StatNames.load(on: request.db)
        let start = calendar.start(of: from)
        let end = calendar.start(of: to.adding(days: 1))

        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: json ? "application/json; charset=utf-8" : "text/csv; charset=utf-8")
        headers.replaceOrAdd(
            name: .contentDisposition, value: "attachment; filename=\"appeals-\(from)-\(to).\(json ? "json" : "csv")\"")
        let body = Response.Body(asyncStream: { writer in
            var first = true
            if json {
                try await writer.write(.buffer(ByteBuffer(string: "[")))
            } else {
                // A byte-order mark and a header row; commas, as open-data portals expect.
                try await writer.write(.buffer(ByteBuffer(bytes: [0xEF, 0xBB, 0xBF] + Array(CSV.render([csvHeaders]).utf8))))
            }
            var after: (Date, UUID)?
            while true {
                var query = sql.select().columns(columns.map { SQLIdentifier($0) }).from("appeals")
                    .where("registered_at", .greaterThanOrEqual, SQLBind(start)).where("registered_at", .lessThan, SQLBind(end))
                    .where("status", .notEqual, AppealStatus.moderation.rawValue)
                    .orderBy("registered_at").orderBy("id").limit(pageSize)
                if let (at, id) = after {
                    query = query.where { group in
                        group.where("registered_at", .greaterThan, SQLBind(at))
                            .orWhere { inner in inner.where("registered_at", .equal, SQLBind(at)).where("id", .greaterThan, SQLBind(id)) }
                    }
                }
                let rows = try await query.all()
                var chunk = ""
                for row in rows {
                    let record = try Self.record(row, names: names, calendar: calendar)
                    after = (try row.decode(column: "registered_at", as: Date.self), try row.decode(column: "id", as: UUID.self))
                    if json {
                        let encoded = String(decoding: try Self.encoder.encode(record), as: UTF8.self)
                        chunk += (first ? "\n" : ",\n") + encoded
                    } else {
                        chunk += CSV.render([Self.csvFields(record)])
                    }
                    first = false
                }
                if !chunk.isEmpty { try await writer.write(.buffer(ByteBuffer(string: chunk))) }
                if rows.count < pageSize { break }
            }
            if json { try await writer.write(.buffer(ByteBuffer(string: "\n]\n"))) }
            try await writer.write(.end)
        })
        return Response(status: .ok, headers: headers, body: body)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func record(_ row: any SQLRow, names: StatNames, calendar: ProductionCalendar) throws -> Record {
        let status = AppealStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .moderation
        let answeredAt = try row.decode(column: "answered_at", as: Date?.self)
        let answered = answeredAt != nil && (status == .answered || status == .closed)
        let outcome = try row.decode(column: "outcome", as: String?.self).flatMap(AnswerOutcome.init(rawValue:))
        let help = try row.decode(column: "help_kind", as: String?.self).flatMap(HelpKind.init(rawValue:))
        let result = ReportResult.of(outcome: answered ? outcome : nil, help: answered ? help : nil, rejected: status == .rejected)
        let due = try row.decode(column: "answer_due_at", as: Date.self)
        let organisation = try row.decode(column: "executor_organisation_id", as: UUID?.self)
        let sphere = try row.decode(column: "sphere", as: String?.self) ?? StatContribution.otherSphere
        return Record(
            number: try row.decode(column: "number", as: String.self),
            registered: calendar.localDate(of: try row.decode(column: "registered_at", as: Date.self)).description,
            channel: try row.decode(column: "channel", as: String.self), sphere: names.sphere(sphere),
            categoryCode: try row.decode(column: "category_code", as: String.self),
            category: try row.decode(column: "category_name", as: String.self),
            subcategoryCode: try row.decode(column: "subcategory_code", as: String.self),
            subcategory: try row.decode(column: "subcategory_name", as: String.self),
            territory: names.territories[try row.decode(column: "territory_id", as: UUID.self).uuidString.lowercased()] ?? "",
            organisation: organisation.flatMap { names.organisations[$0] } ?? "", status: Strings.title(status),
            result: Strings.title(result), help: answered ? help.map(Strings.title) ?? "" : "",
            answered: answered ? answeredAt.map { calendar.localDate(of: $0).description } ?? "" : "",
            answeredOnTime: answered ? answeredAt.map { $0 <= due } : nil,
            rating: try row.decode(column: "rating", as: Int?.self))
    }

    static func csvFields(_ record: Record) -> [String] {
        [
            record.number, record.registered, record.channel, record.sphere, record.categoryCode, record.category, record.subcategoryCode,
            record.subcategory, record.territory, record.organisation, record.status, record.result, record.help, record.answered,
            record.answeredOnTime.map { $0 ? "true" : "false" } ?? "", record.rating.map(String.init) ?? "",
        ]
    }
}
