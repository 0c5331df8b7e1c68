import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// The rating's settings (see M0033): one row.
final class RatingSettings: Model, @unchecked Sendable {
    static let schema = "rating_settings"
    static let municipalKey = "municipal"

    @ID(key: .id) var id: UUID?
    @Field(key: "key") var key: String
    @Field(key: "weights_json") var weightsJSON: String
    @Field(key: "method_note") var methodNote: String
    @OptionalField(key: "updated_by") var updatedBy: UUID?
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

/// The municipalities' figures for a period, read from the statistics' sums (contacts, answers, ratings)
/// and the events, then ranked by `MunicipalRating`.
enum MunicipalRatingService {
    struct Settings {
        var weights: MunicipalRating.Weights
        var note: String
    }

    static let defaultNote =
        "Рейтинг составляется по данным реестра обращений за выбранный период. Учитываются обращения и консультации, которые вела администрация муниципального образования (и подчинённые ей организации)."

    static func settings(on db: any Database) async throws -> Settings {
        guard let row = try await RatingSettings.query(on: db).filter(\.$key == RatingSettings.municipalKey).first(),
            let weights = try? JSONDecoder().decode(MunicipalRating.Weights.self, from: Data(row.weightsJSON.utf8))
        else { return Settings(weights: .standard, note: defaultNote) }
        return Settings(weights: weights, note: row.methodNote)
    }

    struct Municipality {
        var id: UUID
        var name: String
        /// The organisation and those under it.
        var members: Set<UUID>
        var population: Int?
    }

    static func municipalities(on db: any Database) async throws -> [Municipality] {
        let all = try await Organisation.query(on: db).with(\.$territories).sort(\.$name).all()
        let tree = OrganisationQueries.tree(of: all)
        let ranked = Set(all.filter { $0.kind == .municipality && $0.isActive }.compactMap(\.id))
        // Each organisation counts for the nearest ranked municipality above it (itself included), so a
        // municipality inside another one keeps its own figures and they are not counted twice.
        var members: [UUID: Set<UUID>] = [:]
        for id in tree.ids {
            if let owner = tree.lineage(of: id).first(where: ranked.contains) { members[owner, default: []].insert(id) }
        }
        return all.filter { $0.id.map(ranked.contains) ?? false }.compactMap { org in
            guard let id = org.id else { return nil }
            let populations = org.territories.map(\.population)
            // Unknown if any of its territories is: a partial sum would flatter the contacts per resident.
            let population: Int? = populations.isEmpty || populations.contains(nil) ? nil : populations.compactMap { $0 }.reduce(0, +)
            return Municipality(id: id, name: org.shortName, members: members[id] ?? [id], population: population)
        }
    }

    /// Each municipality's figures for the period.
    static func figures(
        _ municipalities: [Municipality], period: StatPeriod, app: Application, now: Date
    ) async throws -> [UUID: MunicipalRating.Figures] {
        var owner: [UUID: UUID] = [:]
        for municipality in municipalities { for member in municipality.members { owner[member] = municipality.id } }
        var figures = Dictionary(uniqueKeysWithValues: municipalities.map { ($0.id, MunicipalRating.Figures(population: $0.population)) })
        guard !owner.isEmpty else { return figures }
        let sums = try await StatisticsQuery.fetch(
            [.contact, .answer, .rating], period: period, scope: .organisations(Array(owner.keys)), by: .organisation, app: app)
        for (key, amount) in sums {
            guard let organisation = key.organisation, let id = owner[organisation] else { continue }
            switch key.dimension {
            case .contact:
                guard let parts = StatContribution.parseContact(key.value) else { continue }
                figures[id]?.contacts += amount.count
                figures[id]?.money += amount.amount
                switch parts.result {
                case .satisfied, .partly:
                    figures[id]?.favourable += amount.count
                    figures[id]?.settled += amount.count
                case .notSatisfied: figures[id]?.settled += amount.count
                default: break
                }
            case .answer:
                figures[id]?.answered += amount.count
                if key.value.hasPrefix("on_time") { figures[id]?.answeredOnTime += amount.count }
            case .rating:
                guard let score = Int(key.value) else { continue }
                figures[id]?.ratingSum += score * amount.count
                figures[id]?.ratings += amount.count
            default: break
            }
        }
        // Events that took place in the period, each counted once per municipality among its organisers.
        let calendar = app.productionCalendar
        let held = try await Event.query(on: app.db).filter(\.$status == .published)
            .filter(\.$startsAt >= calendar.start(of: period.from)).filter(\.$startsAt < calendar.start(of: period.to.adding(days: 1)))
            .filter(\.$endsAt <= now).field(\.$id).all().compactMap(\.id)
        if !held.isEmpty {
            let organisers = try await EventOrganiser.query(on: app.db).filter(\.$eventID ~~ held)
                .filter(\.$organisationID ~~ Array(owner.keys)).all()
            var events: [UUID: Set<UUID>] = [:]
            for row in organisers { if let id = owner[row.organisationID] { events[id, default: []].insert(row.eventID) } }
            for (id, set) in events { figures[id]?.events = set.count }
        }
        return figures
    }

    struct Result {
        var rows: [MunicipalRating.Row]
        var settings: Settings
        var period: StatPeriod
    }

    static func rating(period: StatPeriod, app: Application, now: Date) async throws -> Result {
        let settings = try await settings(on: app.db)
        let municipalities = try await municipalities(on: app.db)
        let current = try await figures(municipalities, period: period, app: app, now: now)
        let previous = try await figures(municipalities, period: period.previous, app: app, now: now)
        let rows = MunicipalRating.rank(
            municipalities.map { ($0.id, $0.name, current[$0.id] ?? .init()) }, weights: settings.weights, previous: previous)
        return Result(rows: rows, settings: settings, period: period)
    }

    // MARK: Presentation

    static func title(_ indicator: MunicipalRating.Indicator) -> String {
        switch indicator {
        case .reach: "Обращений на 10 000 жителей"
        case .onTime: "Ответов в срок"
        case .satisfaction: "Средняя оценка"
        case .favour: "Решено в пользу потребителя"
        case .money: "Возвращено на одно обращение, ₽"
        case .events: "Проведено мероприятий"
        }
    }

    static func explanation(_ indicator: MunicipalRating.Indicator) -> String {
        switch indicator {
        case .reach: "все обращения и консультации за период на 10 000 жителей (численность населения — по данным администратора)"
        case .onTime: "доля ответов, данных в срок, среди всех ответов за период"
        case .satisfaction: "средняя из оценок 1–5, которые поставили заявители"
        case .favour: "доля удовлетворённых полностью или частично требований среди всех разрешённых споров (удовлетворено, частично, не удовлетворено)"
        case .money: "сумма, возвращённая потребителям, делённая на число обращений и консультаций"
        case .events: "семинары, приёмы и другие мероприятия, которые муниципалитет провёл сам или вместе с другими"
        }
    }

    static func display(_ indicator: MunicipalRating.Indicator, _ value: Double?) -> String {
        guard let value else { return "нет данных" }
        switch indicator {
        case .reach, .satisfaction: return String(format: "%.2f", value).replacingOccurrences(of: ".", with: ",")
        case .onTime, .favour: return Charts.formatShare(value)
        case .money: return Money.format(kopecks: Int((value * 100).rounded()))
        case .events: return Charts.formatCount(value)
        }
    }

    static func points(_ score: Double) -> String { String(format: "%.2f", score).replacingOccurrences(of: ".", with: ",") }

    static func weight(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : "\(value)".replacingOccurrences(of: ".", with: ",")
    }

    /// The method beside the table: each indicator's weight and how it is counted, and the note.
    static func methodSheet(_ result: Result) -> Spreadsheet.Sheet {
        Spreadsheet.Sheet(
            name: "Методика", title: "Методика рейтинга", subtitle: result.settings.note, headers: ["Показатель", "Вес", "Как считается"],
            rows: MunicipalRating.Indicator.allCases.map {
                [.text(title($0)), .number(result.settings.weights[$0], .money), .text(explanation($0))]
            } + [[.text("Баллы"), .empty, .text(scoring)]], total: nil)
    }

    static let scoring =
        "По каждому показателю значения муниципалитетов приводятся к шкале от 0 до 1: лучший получает 1, худший — 0 (если значения у всех равны — все по 1, а если у всех ноль — по 0; нет данных — 0). Баллы — взвешенное среднее этих значений, умноженное на 100. Равные баллы дают одно место. Муниципалитет без данных за период места не получает."

    static func sheet(_ result: Result, subtitle: String) -> Spreadsheet.Sheet {
        let indicators = MunicipalRating.Indicator.allCases
        return Spreadsheet.Sheet(
            name: "Рейтинг", title: "Рейтинг муниципальных образований по защите прав потребителей", subtitle: subtitle,
            headers: ["Место", "Муниципальное образование", "Баллы (из 100)", "Изменение места"] + indicators.map(title),
            rows: result.rows.map { row in
                var cells: [Spreadsheet.Cell] = [
                    row.rank.map { .number(Double($0), .count) } ?? .text("нет данных"), .text(row.name),
                    row.score.map { .number($0, .money) } ?? .text("нет данных"),
                    row.change.map { .number(Double($0), .count) } ?? .empty,
                ]
                for indicator in indicators {
                    guard let value = row.values[indicator] ?? nil else {
                        cells.append(.text("нет данных"))
                        continue
                    }
                    switch indicator {
                    case .onTime, .favour: cells.append(.number(value, .share))
                    case .money: cells.append(.number(value, .money))
                    case .events: cells.append(.number(value, .count))
                    case .reach, .satisfaction: cells.append(.number(value, .money))
                    }
                }
                return cells
            }, total: nil)
    }
}

/// The rating as the API gives it.
struct RatingDTO: Content {
    struct Indicators: Content {
        var reach: Double?
        var onTime: Double?
        var satisfaction: Double?
        var favour: Double?
        var money: Double?
        var events: Double?
    }

    struct Row: Content {
        var organisationID: UUID
        var name: String
        /// 1 is the best; null: no data for the period.
        var rank: Int?
        /// Points out of 100.
        var score: Double?
        /// Places gained since the previous period (negative: lost).
        var change: Int?
        var population: Int?
        var values: Indicators
    }

    var from: String
    var to: String
    var previousFrom: String
    var previousTo: String
    var weights: Indicators
    var method: String
    var rows: [Row]

    init(_ result: MunicipalRatingService.Result) {
        func indicators(_ value: (MunicipalRating.Indicator) -> Double?) -> Indicators {
            Indicators(
                reach: value(.reach), onTime: value(.onTime), satisfaction: value(.satisfaction), favour: value(.favour), money: value(.money),
                events: value(.events))
        }
        from = result.period.from.description
        to = result.period.to.description
        previousFrom = result.period.previous.from.description
        previousTo = result.period.previous.to.description
        weights = indicators { result.settings.weights[$0] }
        method = result.settings.note + " " + MunicipalRatingService.scoring
        rows = result.rows.map { row in
            Row(
                organisationID: row.id, name: row.name, rank: row.rank, score: row.score, change: row.change,
                population: row.figures.population, values: indicators { row.values[$0] ?? nil })
        }
    }
}

/// `/stats/rating`: the municipal rating for a period (staff who read statistics), its XLSX, and the
/// admin's settings (weights, method note, populations).
struct MunicipalRatingController: RouteCollection {
    struct API: RouteCollection {
        func boot(routes: any RoutesBuilder) throws {
            let period: [APIOperation.Parameter] = [
                .date("from", "Первый день периода (по умолчанию — текущий квартал)"), .date("to", "Последний день периода"),
            ]
            routes.get("stats", "rating") { request async throws -> RatingDTO in
                let ask = try await MunicipalRatingController.period(request)
                try MunicipalRatingController.requireRegion(ask)
                return RatingDTO(try await MunicipalRatingService.rating(period: ask.period, app: request.application, now: request.now))
            }.document(.init("Рейтинг муниципальных образований за период (для читающих статистику всей области)", query: period))
            routes.get("stats", "rating.xlsx") { request in try await MunicipalRatingController.workbook(request) }
                .document(.init(
                    "Рейтинг муниципальных образований файлом XLSX", query: period,
                    media: [String(ReportExport.FileFormat.xlsx.contentType.prefix { $0 != ";" })]))
        }
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("stats", "rating", use: page)
        routes.get("stats", "rating.xlsx", use: xlsx)
        routes.get("stats", "rating", "settings", use: settingsForm)
        routes.post("stats", "rating", "settings", use: saveSettings)
    }

    struct Cell: Encodable {
        var text: String
        var empty: Bool
    }

    struct Row: Encodable {
        var rank: String
        var name: String
        var score: String
        var change: String
        var changeClass: String
        var cells: [Cell]
    }

    struct Method: Encodable {
        var title: String
        var weight: String
        var explanation: String
    }

    struct Page: Encodable {
        var layout: Layout
        var from: String
        var to: String
        var previous: String
        var presets: [StatisticsController.Preset]
        var headers: [String]
        var rows: [Row]
        var chart: String
        var method: [Method]
        var note: String
        var scoring: String
        var query: String
        var admin: Bool
        var errors: [String: String]
        var hasErrors: Bool
    }

    static func period(_ request: Request) async throws -> StatRequest {
        _ = try request.requireUser()
        return try await StatRequest.of(request)
    }

    /// The weights and populations are the region's: only a platform-wide admin changes them.
    static func isAdmin(_ request: Request) async throws -> Bool {
        guard let actor = try? await request.requireActor() else { return false }
        return Policy.permits(actor, .manageReferenceData, in: .platform, tree: try await OrganisationQueries.tree(on: request.db))
    }

    /// The rating compares every municipality's figures: those who read the region's statistics see it.
    static func requireRegion(_ ask: StatRequest) throws {
        guard ask.reach == .region else { throw AppError.forbidden }
    }

    @Sendable
    func page(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let layout = await Layout.make(for: request, title: "Рейтинг муниципальных образований")
        let today = request.application.productionCalendar.localDate(of: request.now)
        let ask: StatRequest
        do {
            ask = try await StatRequest.of(request)
        } catch let failure as ValidationFailure {
            let from = (try? request.query.get(String.self, at: "from")) ?? ""
            let to = (try? request.query.get(String.self, at: "to")) ?? ""
            return try await request.render(
                "stats/rating",
                Page(
                    layout: layout, from: from, to: to, previous: "", presets: StatisticsController.presets(today: today, selected: (from, to)),
                    headers: [], rows: [], chart: "", method: [], note: "", scoring: "", query: "", admin: try await Self.isAdmin(request),
                    errors: FormErrors.russian(failure), hasErrors: true),
                status: .unprocessableEntity)
        }
        try Self.requireRegion(ask)
        let result = try await MunicipalRatingService.rating(period: ask.period, app: request.application, now: request.now)
        let indicators = MunicipalRating.Indicator.allCases
        let ranked = result.rows.filter { $0.score != nil }
        let chart = Charts.bars(
            id: "rating-chart", title: "Баллы муниципальных образований",
            description: ranked.map { "\($0.name): \(MunicipalRatingService.points($0.score ?? 0))" }.joined(separator: "; "),
            bars: ranked.map { Charts.Bar(label: $0.name, value: $0.score ?? 0, display: MunicipalRatingService.points($0.score ?? 0)) })
        return try await request.render(
            "stats/rating",
            Page(
                layout: layout, from: ask.period.from.description, to: ask.period.to.description,
                previous: "\(ReportExport.russianDate(ask.period.previous.from)) — \(ReportExport.russianDate(ask.period.previous.to))",
                presets: StatisticsController.presets(today: today, selected: (ask.period.from.description, ask.period.to.description)),
                headers: indicators.map(MunicipalRatingService.title),
                rows: result.rows.map { row in
                    Row(
                        rank: row.rank.map(String.init) ?? "нет данных", name: row.name,
                        score: row.score.map(MunicipalRatingService.points) ?? "нет данных",
                        change: row.change.map { $0 > 0 ? "▲ \($0)" : $0 < 0 ? "▼ \(-$0)" : "=" } ?? "—",
                        changeClass: row.change.map { $0 > 0 ? "up" : $0 < 0 ? "down" : "same" } ?? "none",
                        cells: indicators.map { indicator in
                            let value = row.values[indicator] ?? nil
                            return Cell(text: MunicipalRatingService.display(indicator, value), empty: value == nil)
                        })
                },
                chart: chart,
                method: indicators.map {
                    Method(
                        title: MunicipalRatingService.title($0), weight: MunicipalRatingService.weight(result.settings.weights[$0]),
                        explanation: MunicipalRatingService.explanation($0))
                },
                note: result.settings.note, scoring: MunicipalRatingService.scoring, query: "from=\(ask.period.from)&to=\(ask.period.to)",
                admin: try await Self.isAdmin(request), errors: [:], hasErrors: false))
    }

    @Sendable
    func xlsx(request: Request) async throws -> Response { try await Self.workbook(request) }

    static func workbook(_ request: Request) async throws -> Response {
        let ask = try await period(request)
        try requireRegion(ask)
        let result = try await MunicipalRatingService.rating(period: ask.period, app: request.application, now: request.now)
        let subtitle = "Период с \(ReportExport.russianDate(ask.period.from)) по \(ReportExport.russianDate(ask.period.to)); изменение места — к периоду с \(ReportExport.russianDate(ask.period.previous.from)) по \(ReportExport.russianDate(ask.period.previous.to))"
        let data = try ReportExport.xlsx(
            [MunicipalRatingService.sheet(result, subtitle: subtitle), MunicipalRatingService.methodSheet(result)], created: request.now)
        return ReportExport.response(data, format: .xlsx, fileName: "reiting-\(ask.period.from)-\(ask.period.to).xlsx")
    }

    // MARK: Settings

    struct PopulationRow: Encodable {
        var field: String
        var name: String
        var value: String
        var error: String?
    }

    struct SettingsPage: Encodable {
        var layout: Layout
        var weights: [PopulationRow]
        var populations: [PopulationRow]
        var note: String
        var errors: [String: String]
        var hasErrors: Bool
    }

    private func requireAdmin(_ request: Request) async throws -> UUID {
        let user = try request.requireUser()
        guard try await Self.isAdmin(request) else { throw AppError.forbidden }
        return try user.requireID()
    }

    /// The territories of the municipalities, whose populations the rating uses.
    private func territories(on db: any Database) async throws -> [Territory] {
        let municipalities = try await Organisation.query(on: db).filter(\.$kind == .municipality).filter(\.$isActive == true)
            .with(\.$territories).all()
        var seen: Set<UUID> = []
        return municipalities.flatMap(\.territories).filter { $0.id.map { seen.insert($0).inserted } ?? false }.sorted { $0.name < $1.name }
    }

    private func settingsPage(
        _ request: Request, input: [String: String]? = nil, failure: ValidationFailure? = nil
    ) async throws -> SettingsPage {
        let settings = try await MunicipalRatingService.settings(on: request.db)
        let errors = failure.map(FormErrors.russian) ?? [:]
        return SettingsPage(
            layout: await Layout.make(for: request, title: "Настройка рейтинга"),
            weights: MunicipalRating.Indicator.allCases.map { indicator in
                let field = "weight-\(indicator.rawValue)"
                return PopulationRow(
                    field: field, name: MunicipalRatingService.title(indicator),
                    value: input?[field] ?? MunicipalRatingService.weight(settings.weights[indicator]), error: errors[field])
            },
            populations: try await territories(on: request.db).compactMap { territory in
                guard let id = territory.id else { return nil }
                let field = "population-\(id.uuidString)"
                return PopulationRow(
                    field: field, name: territory.name, value: input?[field] ?? territory.population.map(String.init) ?? "", error: errors[field])
            },
            note: input?["note"] ?? settings.note, errors: errors, hasErrors: failure != nil)
    }

    @Sendable
    func settingsForm(request: Request) async throws -> Response {
        _ = try await requireAdmin(request)
        return try await request.render("stats/rating-settings", try await settingsPage(request))
    }

    @Sendable
    func saveSettings(request: Request) async throws -> Response {
        let admin = try await requireAdmin(request)
        let input = try request.content.decode([String: String].self)
        return try await request.submitForm("stats/rating-settings") {
            var errors: [FieldError] = []
            var weights = MunicipalRating.Weights.standard
            do {
                weights = try MunicipalRating.Weights.validate(
                    Dictionary(uniqueKeysWithValues: MunicipalRating.Indicator.allCases.map { ($0, input["weight-\($0.rawValue)"] ?? "") }))
            } catch let failure as ValidationFailure { errors += failure.errors }
            let note = (input["note"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if note.count > 5000 { errors.append(FieldError("note", .tooLong)) }
            var populations: [(Territory, Int?)] = []
            for territory in try await territories(on: request.db) {
                guard let id = territory.id else { continue }
                let field = "population-\(id.uuidString)"
                // A territory the form did not carry (linked since it was opened) keeps its figure.
                guard let raw = input[field] else { continue }
                do {
                    populations.append((territory, try MunicipalRating.population(raw, field: field)))
                } catch let failure as ValidationFailure { errors += failure.errors }
            }
            guard errors.isEmpty else { throw ValidationFailure(errors) }
            let changes = populations
            let json = String(decoding: try JSONEncoder().encode(weights), as: UTF8.self)
            let now = request.now
            try await request.db.transaction { db in
                let row = try await RatingSettings.query(on: db).filter(\.$key == RatingSettings.municipalKey).first() ?? RatingSettings()
                row.key = RatingSettings.municipalKey
                row.weightsJSON = json
                row.methodNote = note
                row.updatedBy = admin
                row.updatedAt = now
                do {
                    try await row.save(on: db)
                } catch where error.isUniqueViolation {
                    throw ValidationFailure([FieldError("weights", .staleVersion)])
                }
                for (territory, population) in changes where territory.population != population {
                    territory.population = population
                    try await territory.update(on: db)
                }
            }
            return request.seeOther("/stats/rating", flash: "Настройки рейтинга сохранены.")
        } onInvalid: { failure in
            try await settingsPage(request, input: input, failure: failure)
        }
    }
}
