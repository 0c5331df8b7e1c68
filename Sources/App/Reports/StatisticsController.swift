import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// Staff statistics (issue 8): the dashboard for a period, scoped by role, and the appeals behind any
/// figure. The same figures as JSON under `/api/v1/stats`.
struct StatisticsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("stats", use: page)
        routes.get("stats", "appeals", use: appealsPage)
        routes.get("stats", "report", use: reportPage)
        for format in ReportExport.FileFormat.allCases {
            routes.get("stats", "report.\(format.rawValue)") { request in try await ReportExport.download(request, format: format) }
        }
    }

    struct API: RouteCollection {
        func boot(routes: any RoutesBuilder) throws {
            let period: [APIOperation.Parameter] = [.date("from", "Первый день периода (по умолчанию — текущий квартал)"), .date("to", "Последний день периода"), .uuid("organisation", "Организация (по умолчанию — всё, что доступно)")]
            routes.get("stats", "dashboard") { request async throws -> Dashboard in
                _ = try request.requireUser()
                let ask = try await StatRequest.of(request)
                return try await StatisticsService.dashboard(ask, app: request.application, now: request.now)
            }.document(.init(
                "Статистика за период: показатели, сроки, удовлетворённость, разрезы", query: period))
            for format in ReportExport.FileFormat.allCases {
                routes.get("stats", "report.\(format.rawValue)") { request in try await ReportExport.download(request, format: format) }
                    .document(.init(
                        "Отчёт за период файлом (\(format.rawValue.uppercased()))",
                        query: period + [.oneOf("table", ReportExport.Kind.allCases.map(\.rawValue), "Только одна таблица")],
                        media: [String(format.contentType.prefix { $0 != ";" })]))
            }
            routes.get("stats", "appeals") { request async throws -> DrillDown in
                _ = try request.requireUser()
                return try await StatisticsController.drill(request)
            }.document(.init(
                "Обращения за цифрой показателя (не больше 200)",
                query: period + [
                    .init(name: "dimension", schema: ["type": "string"], description: "Разрез (например, sphere, territory, status)", required: true),
                    .init(name: "value", schema: ["type": "string"], description: "Значение разреза", required: true),
                ]))
        }
    }

    struct Preset: Encodable {
        var label: String
        var from: String
        var to: String
        var selected: Bool
    }

    struct Page: Encodable {
        var layout: Layout
        var dashboard: Dashboard?
        var from: String
        var to: String
        var presets: [Preset]
        var organisations: [Choice]
        var regionWide: Bool
        var errors: [String: String]
        var hasErrors: Bool
        var query: String
    }

    static func presets(today: LocalDate, selected: (String, String)) -> [Preset] {
        let month = StatMonth(today)
        let quarter = (today.month - 1) / 3 + 1
        let lastQuarter = quarter == 1 ? StatPeriod.quarter(year: today.year - 1, 4) : StatPeriod.quarter(year: today.year, quarter - 1)
        let periods: [(String, StatPeriod)] = [
            ("Этот месяц", .month(month)), ("Прошлый месяц", .month(month.previous)),
            ("Этот квартал", .quarter(year: today.year, quarter)), ("Прошлый квартал", lastQuarter),
            ("Этот год", .year(today.year)), ("Прошлый год", .year(today.year - 1)),
        ]
        return periods.map { label, period in
            Preset(label: label, from: period.from.description, to: period.to.description,
                   selected: period.from.description == selected.0 && period.to.description == selected.1)
        }
    }

    @Sendable
    func page(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let layout = await Layout.make(for: request, title: "Статистика")
        let today = request.application.productionCalendar.localDate(of: request.now)
        let from = (try? request.query.get(String.self, at: "from")) ?? ""
        let to = (try? request.query.get(String.self, at: "to")) ?? ""
        do {
            let ask = try await StatRequest.of(request)
            let dashboard = try await StatisticsService.dashboard(ask, app: request.application, now: request.now)
            return try await request.render(
                "stats/dashboard",
                Page(
                    layout: layout, dashboard: dashboard, from: dashboard.from, to: dashboard.to,
                    presets: Self.presets(today: today, selected: (dashboard.from, dashboard.to)),
                    organisations: try await organisationChoices(ask.reach, selected: ask.organisation, on: request.db),
                    regionWide: ask.reach == .region, errors: [:], hasErrors: false, query: ask.query))
        } catch let failure as ValidationFailure {
            let reach = try await Self.reach(request)
            return try await request.render(
                "stats/dashboard",
                Page(
                    layout: layout, dashboard: nil, from: from, to: to, presets: Self.presets(today: today, selected: (from, to)),
                    organisations: try await organisationChoices(reach, selected: nil, on: request.db), regionWide: reach == .region,
                    errors: FormErrors.russian(failure), hasErrors: true, query: ""),
                status: .unprocessableEntity)
        }
    }

    static func reach(_ request: Request) async throws -> StatisticsAccess.Reach {
        let actor = try await request.requireActor()
        let organisations = try await Organisation.query(on: request.db).all()
        return StatisticsAccess.reach(
            actor, tree: OrganisationQueries.tree(of: organisations),
            regionWide: Set(organisations.filter { $0.kind == .regionalOffice }.compactMap(\.id)))
    }

    func organisationChoices(_ reach: StatisticsAccess.Reach, selected: UUID?, on db: any Database) async throws -> [Choice] {
        let organisations = try await Organisation.query(on: db).sort(\.$name).all()
        let visible: [Organisation]
        switch reach {
        case .none: visible = []
        case .region: visible = organisations
        case .organisations(let ids): visible = organisations.filter { ids.contains($0.id!) }
        }
        return visible.map { Choice(value: $0.id!.uuidString, label: $0.shortName, selected: $0.id == selected) }
    }

    // MARK: The appeals behind a figure

    struct DrillRow: Content {
        var number: String
        var url: String
        var registered: String
        var category: String
        var organisation: String
        var status: String
        var result: String
    }

    struct ContactRow: Content {
        var date: String
        var kind: String
        var sphere: String
        var help: String
        var result: String
        var organisation: String
    }

    struct DrillDown: Content {
        var title: String
        var from: String
        var to: String
        var total: Int
        var shown: Int
        var appeals: [DrillRow]
        var contacts: [ContactRow]
    }

    static let drillLimit = 200
    /// Candidates read per request before the figure's own test (the list says when it stopped).
    static let candidateLimit = 20_000

    static func drill(_ request: Request) async throws -> DrillDown {
        let ask = try await StatRequest.of(request)
        guard let dimension = (try? request.query.get(String.self, at: "dimension"))?.nonBlank,
            let value = (try? request.query.get(String.self, at: "value"))?.nonBlank
        else { throw ValidationFailure([FieldError("dimension", .required)]) }
        let app = request.application
        let calendar = app.productionCalendar
        guard let sql = request.db as? any SQLDatabase else { throw AppError.badRequest("SQL database required") }
        let names = try await StatNames.load(on: request.db)
        let start = calendar.start(of: ask.period.from)
        let end = calendar.start(of: ask.period.to.adding(days: 1))
        let columns = StatisticsStore.appealColumns + ["number", "category_name", "subcategory_name"]
        var query = sql.select().columns(columns.map { SQLIdentifier($0) }).from("appeals")
        if case .organisations(let ids) = ask.scope { query = query.where("executor_organisation_id", .in, ids) }

        // Which contribution the figure counted, and a cheap filter in SQL where the column says it.
        let matches: (StatKey) -> Bool
        var dateColumn = "registered_at"
        var title = ""
        switch dimension {
        case "kind", "sphere", "help", "result":
            matches = { key in
                guard key.dimension == .contact, let parts = StatContribution.parseContact(key.value) else { return false }
                switch dimension {
                case "kind": return parts.kind.rawValue == value
                case "sphere": return parts.sphere == value
                case "help": return parts.help?.rawValue == value
                default: return parts.result.rawValue == value
                }
            }
            switch dimension {
            case "kind": title = ContactKind(rawValue: value).map(Strings.title) ?? value
            case "sphere": title = "Сфера: " + names.sphere(value)
            case "help": title = "Вид помощи: " + (HelpKind(rawValue: value).map(Strings.title) ?? value)
            default: title = "Результат: " + (ReportResult(rawValue: value).map(Strings.title) ?? value)
            }
            if dimension == "kind", value != ContactKind.appeal.rawValue { query = query.where(SQLLiteral.boolean(false)) }
            if dimension == "help" { query = query.where("help_kind", .equal, value) }
        case "answer":
            dateColumn = "answered_at"
            matches = { $0.dimension == .answer && $0.value.hasPrefix(value + "|") }
            title = value == "late" ? "Ответы с нарушением срока" : "Ответы в срок"
        case "rating":
            dateColumn = "rated_at"
            if let score = Int(value) {
                matches = { $0.dimension == .rating && $0.value == String(score) }
                query = query.where("rating", .equal, score)
                title = "Оценка \(score)"
            } else {
                matches = { $0.dimension == .rating && (Int($0.value) ?? 5) <= ProcessingTerms.lowRating }
                query = query.where("rating", .lessThanOrEqual, ProcessingTerms.lowRating)
                title = "Низкие оценки (1–2)"
            }
        case "overdue":
            return try await overdue(ask, names: names, request: request)
        default:
            guard let known = StatDimension(rawValue: dimension), known != .contact else {
                throw ValidationFailure([FieldError("dimension", .invalidValue)])
            }
            matches = { $0.dimension == known && $0.value == value }
            switch known {
            case .category:
                query = query.where("category_code", .equal, value)
                title = "Категория: " + (names.categories[value] ?? value)
            case .subcategory:
                query = query.where("subcategory_code", .equal, value)
                title = "Подкатегория: " + (names.subcategories[value] ?? value)
            case .channel:
                query = query.where("channel", .equal, value)
                title = "Канал: " + (IntakeChannel(rawValue: value).map(Strings.title) ?? value)
            case .status:
                query = query.where("status", .equal, value)
                title = "Состояние: " + (AppealStatus(rawValue: value).map(Strings.title) ?? value)
            case .territory:
                if let id = UUID(uuidString: value) { query = query.where("territory_id", .equal, id) }
                title = "Территория: " + (names.territories[value] ?? value)
            case .executor:
                dateColumn = "assigned_at"
                if let id = UUID(uuidString: value) { query = query.where("executor_id", .equal, id) }
                let people = try await StatNames.load(on: request.db, people: [value]).people
                title = "Специалист: " + (people[value] ?? value)
            case .company: title = "Организация-нарушитель: " + names.company(value)
            case .locality: title = "Населённый пункт: " + value.capitalizedFirst
            case .extended: title = "Срок продлён"
            case .postponed: title = "Откладывались"
            default: title = value
            }
        }
        query = query.where(SQLIdentifier(dateColumn), .greaterThanOrEqual, SQLBind(start))
            .where(SQLIdentifier(dateColumn), .lessThan, SQLBind(end))
            .orderBy("registered_at", .descending).limit(candidateLimit)
        func counted(_ contribution: [StatKey: StatAmount]) -> Bool {
            contribution.contains { key, amount in amount.count != 0 && ask.period.contains(key.day) && ask.scope.includes(key.organisation) && matches(key) }
        }
        var appeals: [DrillRow] = []
        var total = 0
        for row in try await query.all() {
            let (_, facts) = try StatisticsStore.appealFacts(row)
            guard counted(StatContribution.of(facts, calendar: calendar)) else { continue }
            total += 1
            guard appeals.count < drillLimit else { continue }
            appeals.append(try drillRow(row, facts: facts, names: names, calendar: calendar))
        }
        var contacts: [ContactRow] = []
        if ["kind", "sphere", "help", "result", "executor"].contains(dimension) {
            var contactQuery = sql.select().columns(StatisticsStore.contactColumns.map { SQLIdentifier($0) }).from("contacts")
                .where("occurred_at", .greaterThanOrEqual, SQLBind(start)).where("occurred_at", .lessThan, SQLBind(end))
                .orderBy("occurred_at", .descending).limit(candidateLimit)
            if case .organisations(let ids) = ask.scope { contactQuery = contactQuery.where("organisation_id", .in, ids) }
            for row in try await contactQuery.all() {
                let (_, facts) = try StatisticsStore.contactFacts(row)
                guard counted(StatContribution.of(facts, calendar: calendar)) else { continue }
                total += 1
                guard contacts.count + appeals.count < drillLimit else { continue }
                contacts.append(
                    ContactRow(
                        date: Strings.dateTime(facts.occurredAt), kind: Strings.title(facts.kind), sphere: names.sphere(facts.sphere ?? StatContribution.otherSphere),
                        help: Strings.title(facts.help), result: Strings.title(facts.result),
                        organisation: facts.organisation.flatMap { names.organisations[$0] } ?? "—"))
            }
        }
        return DrillDown(
            title: title, from: ask.period.from.description, to: ask.period.to.description, total: total,
            shown: appeals.count + contacts.count, appeals: appeals, contacts: contacts)
    }

    static func drillRow(_ row: any SQLRow, facts: AppealFacts, names: StatNames, calendar: ProductionCalendar) throws -> DrillRow {
        let number = try row.decode(column: "number", as: String.self)
        let answered = facts.answeredAt != nil && (facts.status == .answered || facts.status == .closed)
        let result = ReportResult.of(outcome: answered ? facts.outcome : nil, help: answered ? facts.help : nil, rejected: facts.status == .rejected)
        return DrillRow(
            number: number, url: "/desk/appeals/\(number)", registered: Strings.dateTime(facts.registeredAt),
            category: "\(try row.decode(column: "category_name", as: String.self)) → \(try row.decode(column: "subcategory_name", as: String.self))",
            organisation: facts.organisation.flatMap { names.organisations[$0] } ?? "—", status: Strings.title(facts.status),
            result: Strings.title(result))
    }

    static func overdue(_ ask: StatRequest, names: StatNames, request: Request) async throws -> DrillDown {
        guard let sql = request.db as? any SQLDatabase else { throw AppError.badRequest("SQL database required") }
        let columns = StatisticsStore.appealColumns + ["number", "category_name", "subcategory_name"]
        var query = sql.select().columns(columns.map { SQLIdentifier($0) }).from("appeals")
            .where("folder", .in, WorkspaceFolder.allCases.filter { $0 != .done }.map(\.rawValue))
            .where("answer_due_at", .lessThan, SQLBind(request.now))
            .orderBy("answer_due_at")
        if case .organisations(let ids) = ask.scope { query = query.where("executor_organisation_id", .in, ids) }
        let rows = try await query.limit(drillLimit + 1).all()
        let calendar = request.application.productionCalendar
        var appeals: [DrillRow] = []
        for row in rows.prefix(drillLimit) {
            appeals.append(try drillRow(row, facts: try StatisticsStore.appealFacts(row).1, names: names, calendar: calendar))
        }
        let total = try await StatisticsQuery.overdueNow(scope: ask.scope, now: request.now, on: request.db).values.reduce(0, +)
        return DrillDown(
            title: "Просрочены сейчас", from: ask.period.from.description, to: ask.period.to.description, total: total, shown: appeals.count,
            appeals: appeals, contacts: [])
    }

    struct DrillPage: Encodable {
        var layout: Layout
        var drill: DrillDown
        var back: String
        var more: Bool
    }

    @Sendable
    func appealsPage(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let drill = try await Self.drill(request)
        let ask = try await StatRequest.of(request)
        return try await request.render(
            "stats/appeals",
            DrillPage(
                layout: await Layout.make(for: request, title: drill.title), drill: drill, back: "/stats?\(ask.query)",
                more: drill.total > drill.shown))
    }
}

extension StatisticsController {
    struct ReportPage: Encodable {
        var layout: Layout
        var from: String
        var to: String
        var scope: String
        var official: StatTable
        var compliance: StatTable?
        var query: String
    }

    /// The official report for the period: the sphere × help × result table and the per-organisation
    /// deadline compliance, as a page (exports: issue 8 item 4).
    @Sendable
    func reportPage(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let ask = try await StatRequest.of(request)
        let app = request.application
        let (dashboard, report) = try await StatisticsService.overview(ask, app: app, now: request.now)
        let names = try await StatNames.load(on: request.db)
        return try await request.render(
            "stats/report",
            ReportPage(
                layout: await Layout.make(for: request, title: "Сведения о работе по защите прав потребителей"),
                from: ask.period.from.description, to: ask.period.to.description, scope: ask.scopeName,
                official: StatisticsService.officialTable(report, names: names, ask: ask),
                compliance: dashboard.sections.first { $0.id == "compliance" }?.table, query: ask.query))
    }
}
