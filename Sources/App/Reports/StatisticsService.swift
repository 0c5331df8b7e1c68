import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// A table as the dashboard, the API and the exports show it.
struct StatCell: Content, Equatable {
    var text: String
    /// The number itself, for programs and spreadsheets (nil for labels).
    var number: Double?
    /// The appeals behind the figure.
    var link: String?
    /// 0…9 in a heat-map table.
    var heat: Int?
    /// How a spreadsheet shows the number.
    var format: Spreadsheet.Format?

    static func label(_ text: String, link: String? = nil) -> StatCell { StatCell(text: text, number: nil, link: link, heat: nil) }

    static func count(_ value: Int, link: String? = nil, heat: Int? = nil) -> StatCell {
        StatCell(text: Charts.formatCount(Double(value)), number: Double(value), link: value == 0 ? nil : link, heat: heat, format: .count)
    }

    static func share(_ value: Double?) -> StatCell {
        StatCell(text: value.map(Charts.formatShare) ?? "—", number: value, link: nil, heat: nil, format: .share)
    }

    static func decimal(_ value: Double?, digits: Int = 1) -> StatCell {
        guard let value else { return StatCell(text: "—", number: nil, link: nil, heat: nil) }
        let text = String(format: "%.\(digits)f", value).replacingOccurrences(of: ".", with: ",")
        return StatCell(text: text, number: (value * pow(10, Double(digits))).rounded() / pow(10, Double(digits)), link: nil, heat: nil, format: .decimal)
    }

    static func roubles(_ kopecks: Int) -> StatCell {
        StatCell(text: Money.format(kopecks: kopecks), number: Double(kopecks) / 100, link: nil, heat: nil, format: .money)
    }

    var spreadsheet: Spreadsheet.Cell {
        if let number, let format { return .number(number, format) }
        return text.isEmpty ? .empty : .text(text)
    }
}

struct StatTable: Content, Equatable {
    var headers: [String]
    var rows: [[StatCell]]
    var total: [StatCell]?
}

struct StatSection: Content {
    var id: String
    var title: String
    var note: String?
    var svg: String?
    var table: StatTable
}

struct StatTile: Content {
    var id: String
    var label: String
    var value: String
    var note: String?
    var link: String?
}

/// What the dashboard shows for a period and scope.
struct Dashboard: Content {
    var from: String
    var to: String
    var organisation: UUID?
    var scope: String
    var tiles: [StatTile]
    var sections: [StatSection]
}

/// Who asks and for what: the period, and the organisations their role lets them read.
struct StatRequest: Sendable {
    var period: StatPeriod
    var scope: StatScope
    var organisation: UUID?
    var scopeName: String
    var reach: StatisticsAccess.Reach

    /// Reads `from`, `to` (ISO dates) and `organisation` from the query; refuses a bad period, an unknown
    /// organisation and one the person may not read.
    static func of(_ request: Request) async throws -> StatRequest {
        let actor = try await request.requireActor()
        let organisations = try await Organisation.query(on: request.db).all()
        let tree = OrganisationQueries.tree(of: organisations)
        let regionWide = Set(organisations.filter { $0.kind == .regionalOffice }.compactMap(\.id))
        let reach = StatisticsAccess.reach(actor, tree: tree, regionWide: regionWide)
        guard reach != .none else { throw AppError.forbidden }
        func text(_ name: String) -> String? { (try? request.query.get(String.self, at: name))?.nonBlank }
        return try resolve(
            from: text("from"), to: text("to"), organisation: text("organisation"), reach: reach, organisations: organisations,
            today: request.application.productionCalendar.localDate(of: request.now))
    }

    /// The same checks for any caller (the page, the API, the command line): the default period is the
    /// current quarter.
    static func resolve(
        from rawFrom: String?, to rawTo: String?, organisation rawOrganisation: String?, reach: StatisticsAccess.Reach,
        organisations: [Organisation], today: LocalDate
    ) throws -> StatRequest {
        let tree = OrganisationQueries.tree(of: organisations)
        var errors: [FieldError] = []
        func date(_ name: String, _ raw: String?) -> LocalDate? {
            guard let raw else { return nil }
            guard let date = LocalDate(iso: raw) else {
                errors.append(FieldError(name, .invalidDate))
                return nil
            }
            return date
        }
        let quarter = (today.month - 1) / 3 + 1
        let defaultPeriod = StatPeriod.quarter(year: today.year, quarter)
        let from = date("from", rawFrom) ?? defaultPeriod.from
        let to = date("to", rawTo) ?? defaultPeriod.to
        var organisation: UUID?
        if let raw = rawOrganisation {
            guard let id = UUID(uuidString: raw), tree.ids.contains(id) else { throw AppError.notFound }
            organisation = id
        }
        guard errors.isEmpty else { throw ValidationFailure(errors) }
        let period: StatPeriod
        do {
            period = try StatPeriod(from: from, to: to)
        } catch {
            switch error {
            case .endBeforeStart: throw ValidationFailure([FieldError("to", .endBeforeStart)])
            case .tooLong: throw ValidationFailure([FieldError("to", .periodTooLong)])
            }
        }
        guard let granted = StatisticsAccess.scope(reach, asking: organisation, tree: tree) else { throw AppError.forbidden }
        let scope: StatScope
        let scopeName: String
        switch granted {
        case .region, .none:
            scope = .region
            scopeName = "Волгоградская область — все организации"
        case .organisations(let ids):
            scope = .organisations(Array(ids).sorted { $0.uuidString < $1.uuidString })
            // The organisations at the top of what is shown (those below are included in them).
            let named = organisations.filter { org in
                guard let id = org.id else { return false }
                if let organisation { return id == organisation }
                return ids.contains(id) && !(tree.parent(of: id).map(ids.contains) ?? false)
            }
            scopeName = named.map(\.shortName).sorted().joined(separator: ", ")
        }
        return StatRequest(period: period, scope: scope, organisation: organisation, scopeName: scopeName, reach: reach)
    }

    /// The query string of this period and organisation, for links.
    var query: String {
        var parts = ["from=\(period.from)", "to=\(period.to)"]
        if let organisation { parts.append("organisation=\(organisation.uuidString)") }
        return parts.joined(separator: "&")
    }

    func drill(_ dimension: String, _ value: String) -> String {
        "/stats/appeals?\(query)&dimension=\(dimension)&value=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
    }
}

/// Names for the codes and ids the statistics keep.
struct StatNames {
    var spheres: [String: String]
    var categories: [String: String]
    var subcategories: [String: String]
    var territories: [String: String]
    var organisations: [UUID: String]
    var people: [String: String]

    static let extraSpheres = ["education": "Образовательные услуги", StatContribution.otherSphere: "Прочие"]

    static func load(on db: any Database, people ids: [String] = []) async throws -> StatNames {
        var spheres = Dictionary(uniqueKeysWithValues: ReferenceData.spheres.map { ($0.0.rawValue, $0.1) })
        spheres.merge(extraSpheres) { old, _ in old }
        let categories = Dictionary(try await Category.query(on: db).all().map { ($0.code, $0.name) }) { first, _ in first }
        let subcategories = Dictionary(try await Subcategory.query(on: db).all().map { ($0.code, $0.name) }) { first, _ in first }
        let territories = Dictionary(try await Territory.query(on: db).all().compactMap { t in t.id.map { ($0.uuidString.lowercased(), t.name) } }) { a, _ in a }
        let organisations = Dictionary(try await Organisation.query(on: db).all().compactMap { o in o.id.map { ($0, o.shortName) } }) { a, _ in a }
        let uuids = ids.compactMap(UUID.init(uuidString:))
        var people: [String: String] = [:]
        if !uuids.isEmpty {
            for user in try await User.query(on: db).filter(\.$id ~~ uuids).all() {
                if let id = user.id { people[id.uuidString.lowercased()] = user.personName.full }
            }
        }
        return StatNames(
            spheres: spheres, categories: categories, subcategories: subcategories, territories: territories,
            organisations: organisations, people: people)
    }

    func sphere(_ code: String) -> String { spheres[code] ?? code }

    func company(_ key: String) -> String {
        if key.hasPrefix("inn:") { return "ИНН " + key.dropFirst(4) }
        if key.hasPrefix("name:") { return String(key.dropFirst(5)).capitalizedFirst }
        return key
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}

enum StatisticsService {
    static let top = 10

    static func dashboard(_ ask: StatRequest, app: Application, now: Date) async throws -> Dashboard {
        try await overview(ask, app: app, now: now).dashboard
    }

    /// The dashboard and the official report it is partly made of, from one read of the sums.
    static func overview(_ ask: StatRequest, app: Application, now: Date) async throws -> (dashboard: Dashboard, report: OfficialReport) {
        let period = ask.period
        let all: Set<StatDimension> = [
            .contact, .category, .subcategory, .territory, .channel, .status, .locality, .company, .extended, .postponed, .answer,
            .rating, .executor,
        ]
        let monthlyDimensions: Set<StatDimension> = [.contact, .answer, .territory]
        let organisationDimensions: Set<StatDimension> = [.contact, .answer, .rating, .extended, .postponed]
        let current = try await StatisticsQuery.fetch(
            [
                .init(dimensions: all.subtracting(monthlyDimensions).subtracting(organisationDimensions)),
                .init(dimensions: monthlyDimensions.union(organisationDimensions), grouping: [.month, .organisation]),
            ], period: period, scope: ask.scope, app: app)
        var totals = StatisticsQuery.byDimension(current[0])
        totals.merge(StatisticsQuery.byDimension(current[1])) { old, _ in old }
        var monthly: [StatRowKey: StatAmount] = [:]
        var byOrganisation: [StatRowKey: StatAmount] = [:]
        for (key, amount) in current[1] {
            if monthlyDimensions.contains(key.dimension) {
                monthly[StatRowKey(month: key.month, organisation: nil, dimension: key.dimension, value: key.value), default: .zero] += amount
            }
            if organisationDimensions.contains(key.dimension) {
                byOrganisation[StatRowKey(month: nil, organisation: key.organisation, dimension: key.dimension, value: key.value), default: .zero] += amount
            }
        }
        let previous = try await StatisticsQuery.totals(
            [.subcategory, .company, .locality], period: period.previous, scope: ask.scope, app: app)
        let overdue = try await StatisticsQuery.overdueNow(scope: ask.scope, now: now, on: app.db)
        let names = try await StatNames.load(on: app.db, people: Array((totals[.executor] ?? [:]).keys))
        let calendar = app.productionCalendar

        func sum(_ dimension: StatDimension) -> [String: StatAmount] { totals[dimension] ?? [:] }
        let contacts = sum(.contact)
        let report = OfficialReport.make(period: period, contact: contacts, spheres: ReportSpheres.codes)
        var compliance = Compliance()
        for (value, amount) in sum(.answer) { compliance.add(answer: value, amount) }
        compliance.overdueNow = overdue.values.reduce(0, +)
        var satisfaction = Satisfaction()
        for (value, amount) in sum(.rating) { satisfaction.add(score: value, amount) }

        var tiles: [StatTile] = [
            StatTile(
                id: "tile-contacts", label: "Обращений и консультаций", value: Charts.formatCount(Double(report.total.contacts)),
                note: "из них обращений: \(Charts.formatCount(Double(report.total.byKind[.appeal] ?? 0)))", link: ask.drill("kind", "appeal")),
            StatTile(
                id: "tile-on-time", label: "Ответов в срок", value: compliance.onTimeShare.map(Charts.formatShare) ?? "—",
                note: "ответов за период: \(Charts.formatCount(Double(compliance.answered)))", link: ask.drill("answer", "late")),
            StatTile(
                id: "tile-overdue", label: "Просрочено сейчас", value: Charts.formatCount(Double(compliance.overdueNow)), note: "на сегодня",
                link: ask.drill("overdue", "now")),
            StatTile(
                id: "tile-rating", label: "Средняя оценка", value: satisfaction.mean.map { String(format: "%.2f", $0).replacingOccurrences(of: ".", with: ",") } ?? "—",
                note: "оценок: \(satisfaction.count)", link: ask.drill("rating", "low")),
            StatTile(
                id: "tile-money", label: "Возвращено потребителям", value: Money.format(kopecks: report.total.moneyVoluntary + report.total.moneyCourt),
                note: "в т. ч. по суду \(Money.format(kopecks: report.total.moneyCourt))", link: nil),
        ]
        if compliance.answered == 0 { tiles[1].link = nil }
        // Events held in the period by the organisations in scope, with the attendees their organisers counted.
        var organisers: Set<UUID>?
        if case .organisations(let ids) = ask.scope { organisers = Set(ids) }
        let held = try await EventQueries.held(
            from: calendar.start(of: period.from), to: calendar.start(of: period.to.adding(days: 1)), organisations: organisers,
            now: now, on: app.db)
        tiles.append(
            StatTile(
                id: "tile-events", label: "Проведено мероприятий", value: Charts.formatCount(Double(held.events)),
                note: "участников: \(Charts.formatCount(Double(held.attendees)))", link: nil))

        var sections: [StatSection] = []

        // Contacts by month, stacked by kind.
        let months = period.months
        let monthLabels = months.map { monthLabel($0) }
        var byKindMonth: [ContactKind: [Double]] = [:]
        var answeredMonth = Array(repeating: 0, count: months.count)
        var onTimeMonth = Array(repeating: 0, count: months.count)
        var territoryMonth: [String: [Int]] = [:]
        let monthIndex = Dictionary(uniqueKeysWithValues: months.enumerated().map { ($1.code, $0) })
        for (key, amount) in monthly {
            guard let month = key.month, let index = monthIndex[month] else { continue }
            switch key.dimension {
            case .contact:
                guard let parts = StatContribution.parseContact(key.value) else { continue }
                byKindMonth[parts.kind, default: Array(repeating: 0, count: months.count)][index] += Double(amount.count)
            case .answer:
                answeredMonth[index] += amount.count
                if key.value.hasPrefix("on_time") { onTimeMonth[index] += amount.count }
            case .territory:
                territoryMonth[key.value, default: Array(repeating: 0, count: months.count)][index] += amount.count
            default: break
            }
        }
        let kinds = ContactKind.allCases.filter { byKindMonth[$0] != nil }
        let series = kinds.map { Charts.Series(name: Strings.title($0), values: byKindMonth[$0]!) }
        sections.append(
            StatSection(
                id: "by-month", title: "Обращения и консультации по месяцам", note: nil,
                svg: Charts.stacked(
                    id: "chart-by-month", title: "Обращения и консультации по месяцам",
                    description: "Столбцы по месяцам периода, разделённые по видам: " + kinds.map { Strings.title($0) }.joined(separator: ", "),
                    categories: monthLabels, series: series),
                table: StatTable(
                    headers: ["Месяц"] + kinds.map { Strings.title($0) } + ["Всего"],
                    rows: months.indices.map { index in
                        [StatCell.label(monthLabels[index])] + kinds.map { StatCell.count(Int(byKindMonth[$0]![index])) }
                            + [StatCell.count(kinds.map { Int(byKindMonth[$0]![index]) }.reduce(0, +))]
                    },
                    total: [StatCell.label("Итого")] + kinds.map { StatCell.count(report.total.byKind[$0] ?? 0, link: ask.drill("kind", $0.rawValue)) }
                        + [StatCell.count(report.total.contacts)])))

        // By sphere.
        let sphereRows = report.rows.filter { $0.contacts > 0 }.sorted { $0.contacts > $1.contacts }
        sections.append(
            StatSection(
                id: "by-sphere", title: "По сферам", note: "Звонки на горячую линию, чаты и приём учитываются наравне с обращениями.",
                svg: Charts.bars(
                    id: "chart-by-sphere", title: "Обращения и консультации по сферам", description: description(sphereRows.map { (names.sphere($0.sphere), $0.contacts) }),
                    bars: sphereRows.map { Charts.Bar(label: names.sphere($0.sphere), value: Double($0.contacts), display: Charts.formatCount(Double($0.contacts)), link: ask.drill("sphere", $0.sphere)) }),
                table: StatTable(
                    headers: ["Сфера"] + ContactKind.allCases.map { Strings.title($0) } + ["Всего"],
                    rows: sphereRows.map { row in
                        [StatCell.label(names.sphere(row.sphere), link: ask.drill("sphere", row.sphere))]
                            + ContactKind.allCases.map { StatCell.count(row.byKind[$0] ?? 0) } + [StatCell.count(row.contacts, link: ask.drill("sphere", row.sphere))]
                    },
                    total: nil)))

        /// A bar chart and its table of (value, count) rows, each leading to what it counted.
        func listSection(
            _ id: String, _ title: String, column: String, drill: String, rows: [(value: String, label: String, count: Int)],
            extra: [[StatCell]] = []
        ) -> StatSection {
            StatSection(
                id: id, title: title, note: nil,
                svg: Charts.bars(
                    id: "chart-\(id)", title: title, description: description(rows.map { ($0.label, $0.count) }),
                    bars: rows.map {
                        Charts.Bar(label: $0.label, value: Double($0.count), display: Charts.formatCount(Double($0.count)), link: ask.drill(drill, $0.value))
                    }),
                table: StatTable(
                    headers: [title, column],
                    rows: rows.map { [StatCell.label($0.label, link: ask.drill(drill, $0.value)), StatCell.count($0.count, link: ask.drill(drill, $0.value))] }
                        + extra,
                    total: nil))
        }
        func simple(_ id: String, _ title: String, _ dimension: StatDimension, label: (String) -> String) -> StatSection {
            let rows = sum(dimension).filter { $0.value.count > 0 }.map { ($0.key, $0.value.count) }.sorted { ($0.1, $1.0) > ($1.1, $0.0) }
            return listSection(id, title, column: "Обращений", drill: dimension.rawValue, rows: rows.map { ($0.0, label($0.0), $0.1) })
        }
        sections.append(simple("by-category", "По категориям", .category, label: { names.categories[$0] ?? $0 }))
        sections.append(simple("by-channel", "По каналам", .channel, label: { IntakeChannel(rawValue: $0).map(Strings.title) ?? $0 }))
        sections.append(simple("by-status", "По состоянию", .status, label: { AppealStatus(rawValue: $0).map(Strings.title) ?? $0 }))

        // Results and help: from the contacts.
        sections.append(
            listSection(
                "by-result", "По результату", column: "Обращений и консультаций", drill: "result",
                rows: ReportResult.allCases.map { ($0.rawValue, Strings.title($0), report.total.byResult[$0] ?? 0) }.filter { $0.2 > 0 }))
        sections.append(
            listSection(
                "by-help", "По виду помощи", column: "Обращений и консультаций", drill: "help",
                rows: HelpKind.allCases.map { ($0.rawValue, Strings.title($0), report.total.byHelp[$0] ?? 0) }.filter { $0.2 > 0 },
                extra: [[StatCell.label("Ещё не указан (в работе)"), StatCell.count(report.total.helpNotGiven)]]))

        // Deadline compliance per organisation.
        var perOrganisation: [UUID?: (Compliance, Satisfaction, Int)] = [:]
        for (key, amount) in byOrganisation {
            var entry = perOrganisation[key.organisation] ?? (Compliance(), Satisfaction(), 0)
            switch key.dimension {
            case .contact:
                entry.2 += amount.count
                if StatContribution.parseContact(key.value)?.kind == .appeal { entry.0.registered += amount.count }
            case .answer: entry.0.add(answer: key.value, amount)
            case .rating: entry.1.add(score: key.value, amount)
            case .extended: entry.0.extended += amount.count
            case .postponed:
                entry.0.postponedAppeals += amount.count
                entry.0.postponements += amount.amount
            default: break
            }
            perOrganisation[key.organisation] = entry
        }
        for (organisation, count) in overdue {
            var entry = perOrganisation[organisation] ?? (Compliance(), Satisfaction(), 0)
            entry.0.overdueNow = count
            perOrganisation[organisation] = entry
        }
        let orgRows = perOrganisation.sorted { ($0.value.2, names.organisations[$1.key ?? UUID()] ?? "") > ($1.value.2, names.organisations[$0.key ?? UUID()] ?? "") }
        func orgName(_ id: UUID?) -> String { id.flatMap { names.organisations[$0] } ?? "Без организации (на модерации)" }
        var totalCompliance = Compliance()
        var totalSatisfaction = Satisfaction()
        for (_, entry) in orgRows {
            totalCompliance.add(entry.0)
            totalSatisfaction.add(entry.1)
        }
        func complianceRow(_ label: StatCell, _ c: Compliance, _ s: Satisfaction, contacts: Int, organisation: UUID?) -> [StatCell] {
            let org = organisation.map { "&organisation=\($0.uuidString)" } ?? ""
            return [
                label, StatCell.count(contacts), StatCell.count(c.registered), StatCell.count(c.answered), StatCell.share(c.onTimeShare),
                StatCell.count(c.late, link: organisation == nil ? nil : "/stats/appeals?from=\(period.from)&to=\(period.to)\(org)&dimension=answer&value=late"),
                StatCell.count(c.overdueNow), StatCell.decimal(c.meanDays), c.p90Days.map { StatCell.count($0) } ?? .label("—"),
                StatCell.count(c.extended), StatCell.count(c.postponements), StatCell.decimal(s.mean, digits: 2), StatCell.share(s.lowShare),
            ]
        }
        var onTimeShares: [Double?] = []
        var onTimeParts: [String] = []
        for index in months.indices {
            let share: Double? = answeredMonth[index] == 0 ? nil : Double(onTimeMonth[index]) / Double(answeredMonth[index])
            onTimeShares.append(share)
            onTimeParts.append("\(monthLabels[index]): " + (share.map(Charts.formatShare) ?? "нет ответов"))
        }
        let onTimeText = onTimeParts.joined(separator: "; ")
        sections.append(
            StatSection(
                id: "compliance", title: "Соблюдение сроков по организациям",
                note: "Ответы — данные за период по дате ответа; «просрочено сейчас» — на сегодня. Время ответа — в начатых днях от регистрации.",
                svg: Charts.line(
                    id: "chart-on-time", title: "Доля ответов в срок по месяцам",
                    description: onTimeText, categories: monthLabels, values: onTimeShares),
                table: StatTable(
                    headers: [
                        "Организация", "Обращений и консультаций", "Зарегистрировано обращений", "Дано ответов", "В срок", "С нарушением срока",
                        "Просрочено сейчас", "Среднее время ответа, дней", "90 % ответов не позднее, дней", "Срок продлён", "Отложено раз",
                        "Средняя оценка", "Оценок ≤ 2",
                    ],
                    rows: orgRows.map { complianceRow(.label(orgName($0.key)), $0.value.0, $0.value.1, contacts: $0.value.2, organisation: $0.key) },
                    total: complianceRow(.label("Итого"), totalCompliance, totalSatisfaction, contacts: report.total.contacts, organisation: nil))))

        // Satisfaction.
        sections.append(
            StatSection(
                id: "satisfaction", title: "Удовлетворённость ответами",
                note: "Оценки заявителей за период по дате оценки. Средняя: \(satisfaction.mean.map { String(format: "%.2f", $0) } ?? "—"); доля оценок 1–2: \(satisfaction.lowShare.map(Charts.formatShare) ?? "—").",
                svg: Charts.bars(
                    id: "chart-satisfaction", title: "Распределение оценок",
                    description: description((1...5).reversed().map { ("Оценка \($0)", satisfaction.byScore[$0] ?? 0) }),
                    bars: (1...5).reversed().map { score in
                        Charts.Bar(label: "Оценка \(score)", value: Double(satisfaction.byScore[score] ?? 0), display: Charts.formatCount(Double(satisfaction.byScore[score] ?? 0)), link: ask.drill("rating", String(score)))
                    }),
                table: StatTable(
                    headers: ["Оценка", "Количество"],
                    rows: (1...5).reversed().map { [StatCell.label(String($0)), StatCell.count(satisfaction.byScore[$0] ?? 0, link: ask.drill("rating", String($0)))] },
                    total: [StatCell.label("Всего"), StatCell.count(satisfaction.count)])))

        // Hotspots.
        func hotspotTable(_ dimension: StatDimension, label: (String) -> String, growing: Bool) -> StatTable {
            let list = growing
                ? Hotspot.growing(sum(dimension), previous: previous[dimension] ?? [:], top: top)
                : Hotspot.frequent(sum(dimension), previous: previous[dimension] ?? [:], top: top)
            return StatTable(
                headers: ["", "За период", "За прошлый период", "Рост"],
                rows: list.map { spot in
                    [
                        StatCell.label(label(spot.value), link: ask.drill(dimension.rawValue, spot.value)), StatCell.count(spot.count, link: ask.drill(dimension.rawValue, spot.value)),
                        StatCell.count(spot.previous),
                        StatCell.label(spot.growthShare.map { ($0 >= 0 ? "+" : "") + Charts.formatShare($0) } ?? (spot.previous == 0 ? "новое" : "—")),
                    ]
                },
                total: nil)
        }
        let frequent = Hotspot.frequent(sum(.subcategory), previous: previous[.subcategory] ?? [:], top: top)
        sections.append(
            StatSection(
                id: "hotspots", title: "Частые проблемы", note: "Подкатегории с наибольшим числом обращений; рост — против предыдущего периода той же длины.",
                svg: Charts.bars(
                    id: "chart-hotspots", title: "Самые частые подкатегории", description: description(frequent.map { (names.subcategories[$0.value] ?? $0.value, $0.count) }),
                    bars: frequent.map { Charts.Bar(label: names.subcategories[$0.value] ?? $0.value, value: Double($0.count), display: Charts.formatCount(Double($0.count)), link: ask.drill("subcategory", $0.value)) }),
                table: hotspotTable(.subcategory, label: { names.subcategories[$0] ?? $0 }, growing: false)))
        sections.append(
            StatSection(id: "growing", title: "Быстрее всего растут", note: nil, svg: nil,
                        table: hotspotTable(.subcategory, label: { names.subcategories[$0] ?? $0 }, growing: true)))
        sections.append(
            StatSection(id: "companies", title: "Организации-нарушители, на которые жалуются чаще всего", note: "По ИНН, а без него — по названию без организационно-правовой формы и кавычек.", svg: nil,
                        table: hotspotTable(.company, label: names.company, growing: false)))
        sections.append(
            StatSection(id: "localities", title: "Населённые пункты", note: nil, svg: nil,
                        table: hotspotTable(.locality, label: { $0.capitalizedFirst }, growing: false)))

        // Territories as a heat map by month.
        let territoryRows = territoryMonth.map { ($0.key, $0.value) }.sorted { ($0.1.reduce(0, +), $1.0) > ($1.1.reduce(0, +), $0.0) }
        let heatMax = territoryRows.flatMap(\.1).max() ?? 0
        sections.append(
            StatSection(
                id: "territories", title: "По территориям", note: "Чем темнее ячейка, тем больше обращений.", svg: nil,
                table: StatTable(
                    headers: ["Территория"] + monthLabels + ["Всего"],
                    rows: territoryRows.map { territory, counts in
                        [StatCell.label(names.territories[territory] ?? territory, link: ask.drill("territory", territory))]
                            + counts.map { StatCell.count($0, heat: Charts.heat($0, maximum: heatMax)) }
                            + [StatCell.count(counts.reduce(0, +), link: ask.drill("territory", territory))]
                    },
                    total: nil)))

        // Load per specialist.
        let load = LoadFigures.make(sum(.executor), period: period, calendar: calendar)
        sections.append(
            StatSection(
                id: "load", title: "Нагрузка на специалистов",
                note: "Поручено обращений и принято звонков, чатов и посетителей за период; рабочих дней: \(load.workingDays)."
                    + (load.spread.map { String(format: " Самый загруженный получил в %.1f раза больше наименее загруженного.", $0).replacingOccurrences(of: ".", with: ",") } ?? ""),
                svg: Charts.bars(
                    id: "chart-load", title: "Нагрузка на специалистов", description: description(load.people.map { (names.people[$0.id] ?? "—", $0.contacts) }),
                    bars: load.people.prefix(20).map { Charts.Bar(label: names.people[$0.id] ?? "—", value: Double($0.contacts), display: Charts.formatCount(Double($0.contacts)), link: ask.drill("executor", $0.id)) }),
                table: StatTable(
                    headers: ["Специалист", "Контактов", "В рабочий день"],
                    rows: load.people.map { [StatCell.label(names.people[$0.id] ?? "—"), StatCell.count($0.contacts, link: ask.drill("executor", $0.id)), StatCell.decimal($0.perWorkingDay)] },
                    total: nil)))

        let dashboard = Dashboard(
            from: period.from.description, to: period.to.description, organisation: ask.organisation, scope: ask.scopeName, tiles: tiles,
            sections: sections)
        return (dashboard, report)
    }

    static let monthNames = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]

    static func monthLabel(_ month: StatMonth) -> String { "\(monthNames[month.month - 1]) \(month.year)" }

    /// The text alternative of a bar chart: every label with its value.
    static func description(_ items: [(String, Int)]) -> String {
        items.isEmpty ? "Нет данных за период." : items.map { "\($0.0): \(Charts.formatCount(Double($0.1)))" }.joined(separator: "; ") + "."
    }
}

extension StatisticsService {
    /// The official «сведения о работе по защите прав потребителей» as a table: spheres down, the kinds of
    /// help, the results and the money returned across, with totals (domain.md §6).
    static func officialTable(_ report: OfficialReport, names: StatNames, ask: StatRequest?) -> StatTable {
        let headers =
            ["Сфера", "Всего обращений и консультаций"] + HelpKind.allCases.map { Strings.title($0) } + ["Вид помощи не указан"]
            + ReportResult.allCases.map { Strings.title($0) } + ["Возвращено добровольно, ₽", "Возвращено по суду, ₽"]
        func row(_ label: String, _ row: OfficialReport.Row, sphere: String?) -> [StatCell] {
            func link(_ dimension: String, _ value: String) -> String? {
                guard let ask else { return nil }
                guard let sphere else { return ask.drill(dimension, value) }
                return dimension == "sphere" ? ask.drill("sphere", sphere) : nil
            }
            return [StatCell.label(label), StatCell.count(row.contacts, link: link("sphere", sphere ?? ""))]
                + HelpKind.allCases.map { StatCell.count(row.byHelp[$0] ?? 0, link: sphere == nil ? link("help", $0.rawValue) : nil) }
                + [StatCell.count(row.helpNotGiven)]
                + ReportResult.allCases.map { StatCell.count(row.byResult[$0] ?? 0, link: sphere == nil ? link("result", $0.rawValue) : nil) }
                + [StatCell.roubles(row.moneyVoluntary), StatCell.roubles(row.moneyCourt)]
        }
        return StatTable(
            headers: headers, rows: report.rows.map { row(names.sphere($0.sphere), $0, sphere: $0.sphere) },
            total: row("Итого", report.total, sphere: nil))
    }
}
