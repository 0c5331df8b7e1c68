import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting
import ZIPFoundation

@testable import App
@testable import Domain

/// A small register whose every figure is worked out by hand below (see the comments): eight appeals
/// (two in the previous quarter, one just after midnight of 1 April in the region — still 31 March in
/// UTC) and three contacts that are not appeals.
struct StatFixture {
    let app: Application
    var orgA: UUID = UUID()  // ТО в г. Волжском
    var orgB: UUID = UUID()  // Администрация Волгограда
    var executor: UUID = UUID()
    var operatorID: UUID = UUID()
    var ids: [String: UUID] = [:]
    var sequence = 9000

    static func make(_ app: Application) async throws -> StatFixture {
        var fixture = StatFixture(app: app)
        fixture.orgA = try await Processing.organisation(app, "ТО в г. Волжском")
        fixture.orgB = try await Processing.organisation(app, "Администрация Волгограда")
        fixture.executor = try await Processing.userID(app, "executor@consumerdesk.test")
        fixture.operatorID = try await Processing.userID(app, "operator@consumerdesk.test")
        try await fixture.load()
        return fixture
    }

    /// A moment in the region's time.
    func at(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int = 0) -> Date {
        app.productionCalendar.start(of: LocalDate(year, month, day)).addingTimeInterval(TimeInterval(hour * 3600 + minute * 60))
    }

    struct Spec {
        var key: String
        var registered: Date
        var organisation: UUID?
        var subcategory: String
        var channel: IntakeChannel
        var status: AppealStatus
        var outcome: AnswerOutcome? = nil
        var help: HelpKind? = nil
        var money: Int? = nil
        var answered: Date? = nil
        var due: Date
        var rating: Int? = nil
        var rated: Date? = nil
        var executor: UUID? = nil
        var assigned: Date? = nil
        var locality: String? = nil
        var inn: String? = nil
        var company: String? = nil
        var postponements = 0
        var extendedDays: Int? = nil
    }

    mutating func load() async throws {
        let a = orgA, b = orgB, e = executor
        let specs: [Spec] = [
            Spec(key: "a1", registered: at(2026, 1, 15, 10), organisation: a, subcategory: "trade-refund-defective", channel: .portal,
                 status: .closed, outcome: .satisfied, help: .claimHelp, money: 1_500_000, answered: at(2026, 1, 20, 10),
                 due: at(2026, 2, 14, 23, 59), rating: 5, rated: at(2026, 1, 21, 9), executor: e, assigned: at(2026, 1, 15, 12),
                 locality: "г. Волжский", inn: "7707083893"),
            Spec(key: "a2", registered: at(2026, 1, 20, 9), organisation: a, subcategory: "trade-replace-defective", channel: .api,
                 status: .answered, outcome: .partly, help: .court, money: 500_000, answered: at(2026, 3, 1, 9),
                 due: at(2026, 2, 19, 23, 59), rating: 2, rated: at(2026, 3, 2, 9), executor: e, assigned: at(2026, 1, 20, 10),
                 locality: "Волжский", company: "ООО \"Ромашка\""),
            Spec(key: "a3", registered: at(2026, 2, 12, 11), organisation: a, subcategory: "housing-utility-quality", channel: .hotline,
                 status: .inWork, due: at(2026, 3, 14, 23, 59), executor: e, assigned: at(2026, 2, 12, 12), locality: "Камышин",
                 company: "Ромашка, ООО", postponements: 2, extendedDays: 10),
            Spec(key: "a4", registered: at(2026, 3, 5, 15), organisation: b, subcategory: "roads-potholes", channel: .widget,
                 status: .answered, outcome: .explained, help: .writtenConsultation, answered: at(2026, 3, 6, 14),
                 due: at(2026, 3, 10, 23, 59)),
            Spec(key: "a5", registered: at(2026, 4, 1, 1, 30), organisation: b, subcategory: "trade-refund-defective", channel: .portal,
                 status: .moderation, due: at(2026, 5, 1, 23, 59)),
            Spec(key: "a6", registered: at(2026, 2, 20, 10), organisation: nil, subcategory: "trade-refund-defective", channel: .portal,
                 status: .rejected, due: at(2026, 3, 22, 23, 59)),
            Spec(key: "a7", registered: at(2025, 11, 10, 10), organisation: a, subcategory: "trade-refund-defective", channel: .portal,
                 status: .closed, outcome: .notSatisfied, help: .writtenConsultation, answered: at(2025, 11, 20, 10),
                 due: at(2025, 12, 10, 23, 59), rating: 4, rated: at(2025, 11, 21, 10)),
            Spec(key: "a8", registered: at(2025, 12, 1, 10), organisation: a, subcategory: "housing-utility-quality", channel: .portal,
                 status: .closed, outcome: .explained, help: .oralConsultation, answered: at(2025, 12, 5, 10),
                 due: at(2025, 12, 31, 23, 59)),
        ]
        for spec in specs { ids[spec.key] = try await insert(spec) }
        ids["c1"] = try await contact(.hotline, at(2026, 1, 10, 12), b, operatorID, "trade", .oralConsultation, .explained)
        ids["c2"] = try await contact(.chat, at(2026, 2, 15, 13), b, operatorID, "communications", .oralConsultation, .redirected)
        ids["c3"] = try await contact(.reception, at(2026, 3, 10, 10), a, e, "trade", .claimHelp, .satisfied, money: 300_000)
    }

    mutating func insert(_ spec: Spec) async throws -> UUID {
        let subcategory = try #require(try await Subcategory.query(on: app.db).filter(\.$code == spec.subcategory).with(\.$category).first())
        let territory = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-volzhsky").first())
        sequence += 1
        let appeal = Appeal()
        appeal.id = UUID()
        appeal.number = "34-\(app.productionCalendar.year(of: spec.registered))-\(sequence)"
        appeal.year = app.productionCalendar.year(of: spec.registered)
        appeal.sequence = sequence
        appeal.channel = spec.channel
        appeal.status = spec.status
        try appeal.file(under: subcategory)
        appeal.surname = "Петров"
        appeal.name = "Пётр"
        appeal.email = "petrov\(sequence)@example.test"
        appeal.locality = spec.locality
        appeal.conflictINN = spec.inn
        appeal.conflictName = spec.company
        appeal.text = "Обращение для статистики."
        appeal.$territory.id = try territory.requireID()
        appeal.answersJSON = "{}"
        appeal.$executorOrganisation.id = spec.organisation
        appeal.registeredAt = spec.registered
        appeal.moderationDueAt = spec.registered.addingTimeInterval(86_400)
        appeal.answerDueAt = spec.due
        appeal.consentAt = spec.registered
        appeal.lockVersion = 1
        appeal.delegatedByRule = false
        appeal.awaitingCitizen = false
        appeal.curatorAttention = false
        appeal.postponements = spec.postponements
        appeal.extendedDays = spec.extendedDays
        appeal.outcome = spec.outcome
        appeal.helpKind = spec.help
        appeal.moneyReturned = spec.money
        appeal.answeredAt = spec.answered
        appeal.rating = spec.rating
        appeal.ratedAt = spec.rated
        appeal.$executor.id = spec.executor
        appeal.assignedAt = spec.assigned
        appeal.folder = WorkspaceFolder.of(status: spec.status, returned: nil)
        try await appeal.create(on: app.db)
        return try appeal.requireID()
    }

    func contact(
        _ kind: ContactKind, _ when: Date, _ organisation: UUID, _ person: UUID, _ sphere: String, _ help: HelpKind,
        _ result: ReportResult, money: Int? = nil
    ) async throws -> UUID {
        let row = ContactRecord()
        row.id = UUID()
        row.kind = kind
        row.occurredAt = when
        row.organisationID = organisation
        row.operatorID = person
        row.sphere = sphere
        row.helpKind = help
        row.result = result
        row.moneyReturned = money
        row.createdAt = when
        try await row.create(on: app.db)
        return try row.requireID()
    }
}

@Suite("Statistics", .serialized)
struct StatisticsTests {
    let q1 = StatPeriod.quarter(year: 2026, 1)

    @Test func theQuarterMatchesTheHandCount() async throws {
        try await withApp(demo: true) { app in
            let f = try await StatFixture.make(app)
            let totals = try await StatisticsQuery.totals(Set(StatDimension.allCases), period: q1, scope: .region, app: app)
            #expect(try await StatisticsStore.pending(on: app.db) == 0)
            func counts(_ dimension: StatDimension) -> [String: Int] {
                (totals[dimension] ?? [:]).mapValues(\.count).filter { $0.value != 0 }
            }
            // Appeals registered in Q1 in the region's time: a1, a2, a3, a4, a6 (a5 is 1 April there).
            #expect(counts(.category) == ["trade": 3, "housing": 1, "roads": 1])
            #expect(counts(.subcategory) == ["trade-refund-defective": 2, "trade-replace-defective": 1, "housing-utility-quality": 1, "roads-potholes": 1])
            #expect(counts(.channel) == ["portal": 2, "api": 1, "hotline": 1, "widget": 1])
            #expect(counts(.status) == ["closed": 1, "answered": 2, "in_work": 1, "rejected": 1])
            #expect(counts(.locality) == ["волжский": 2, "камышин": 1])
            #expect(counts(.company) == ["inn:7707083893": 1, "name:ромашка": 2])
            #expect(counts(.extended) == ["": 1])
            #expect(totals[.postponed]?[""] == StatAmount(count: 1, amount: 2))
            #expect(counts(.rating) == ["5": 1, "2": 1])
            #expect(counts(.executor) == [f.executor.uuidString.lowercased(): 4, f.operatorID.uuidString.lowercased(): 2])

            // The official report: 5 appeals + a call, a chat and a visit.
            let report = OfficialReport.make(period: q1, contact: totals[.contact] ?? [:], spheres: ReportSpheres.codes)
            #expect(report.total.contacts == 8)
            #expect(report.total.byKind == [.appeal: 5, .hotline: 1, .chat: 1, .reception: 1])
            #expect(report.total.byHelp == [.claimHelp: 2, .court: 1, .oralConsultation: 2, .writtenConsultation: 1])
            #expect(report.total.helpNotGiven == 2)
            #expect(report.total.byResult == [.satisfied: 2, .partly: 1, .explained: 2, .redirected: 1, .inWork: 1, .rejected: 1])
            #expect(report.total.moneyVoluntary == 1_800_000)
            #expect(report.total.moneyCourt == 500_000)
            let trade = try #require(report.rows.first { $0.sphere == "trade" })
            #expect(trade.contacts == 5)
            #expect(trade.byResult == [.satisfied: 2, .partly: 1, .explained: 1, .rejected: 1])
            #expect(report.rows.first { $0.sphere == "housing" }?.byResult == [.inWork: 1])
            #expect(report.rows.first { $0.sphere == "communications" }?.byResult == [.redirected: 1])
            #expect(report.rows.last?.sphere == "other")
            #expect(report.rows.last?.byHelp == [.writtenConsultation: 1])
            #expect(report.rows.map(\.contacts).reduce(0, +) == 8)

            // Deadlines: a1 on time in 5 days, a2 late in 40, a4 on time within its first day (23 h).
            var compliance = Compliance()
            for (value, amount) in totals[.answer] ?? [:] { compliance.add(answer: value, amount) }
            #expect(compliance.answered == 3)
            #expect(compliance.onTime == 2)
            #expect(compliance.late == 1)
            #expect(compliance.totalSeconds == 5 * 86_400 + 40 * 86_400 + 23 * 3_600)
            #expect(compliance.p90Days == 40)
            #expect(compliance.percentileDays(0.5) == 5)

            // The month boundary is the region's: a5 counts in April.
            let april = try await StatisticsQuery.totals([.contact], period: .month(StatMonth(year: 2026, month: 4)), scope: .region, app: app)
            #expect(april[.contact]?.values.map(\.count).reduce(0, +) == 1)
        }
    }

    @Test func organisationsSeeTheirOwnFiguresAndPeriodsNeedNotBeWholeMonths() async throws {
        try await withApp(demo: true) { app in
            let f = try await StatFixture.make(app)
            func contacts(_ period: StatPeriod, _ scope: StatScope) async throws -> Int {
                let totals = try await StatisticsQuery.totals([.contact], period: period, scope: scope, app: app)
                return totals[.contact]?.values.map(\.count).reduce(0, +) ?? 0
            }
            #expect(try await contacts(q1, .organisations([f.orgA])) == 4)  // a1, a2, a3, c3
            #expect(try await contacts(q1, .organisations([f.orgB])) == 3)  // a4, c1, c2
            #expect(try await contacts(q1, .organisations([f.orgA, f.orgB])) == 7)  // a6 has no organisation
            #expect(try await contacts(q1, .organisations([])) == 0)

            // 10 February – 5 March: no whole month; a3, a6, c2 and a4 (5 March, 15:00).
            let custom = try StatPeriod(from: LocalDate(2026, 2, 10), to: LocalDate(2026, 3, 5))
            #expect(custom.split.months == nil)
            let totals = try await StatisticsQuery.totals([.contact, .answer, .rating, .executor], period: custom, scope: .region, app: app)
            #expect(totals[.contact]?.values.map(\.count).reduce(0, +) == 4)
            #expect(totals[.answer]?.mapValues(\.count).filter { $0.value != 0 } == ["late|40": 1])
            #expect(totals[.rating]?.mapValues(\.count).filter { $0.value != 0 } == ["2": 1])
            #expect(totals[.executor]?.mapValues(\.count).filter { $0.value != 0 }
                == [f.executor.uuidString.lowercased(): 1, f.operatorID.uuidString.lowercased(): 1])
            // 15 January – 31 March: a partial January and two whole months.
            let mixed = try StatPeriod(from: LocalDate(2026, 1, 15), to: LocalDate(2026, 3, 31))
            #expect(mixed.split.months == StatMonth(year: 2026, month: 2)...StatMonth(year: 2026, month: 3))
            #expect(try await contacts(mixed, .region) == 7)  // all of Q1 but c1 (10 January)

            // By organisation and month, as the dashboards group them.
            let grouped = try await StatisticsQuery.fetch([.contact], period: q1, scope: .region, by: [.month, .organisation], app: app)
            var byMonth: [Int: Int] = [:]
            var byOrganisation: [UUID?: Int] = [:]
            for (key, amount) in grouped {
                byMonth[key.month ?? 0, default: 0] += amount.count
                byOrganisation[key.organisation, default: 0] += amount.count
            }
            #expect(byMonth == [202601: 3, 202602: 3, 202603: 2])
            #expect(byOrganisation == [f.orgA: 4, f.orgB: 3, nil: 1])

            let overdue = try await StatisticsQuery.overdueNow(scope: .region, now: f.at(2026, 3, 20, 12), on: app.db)
            #expect(overdue == [f.orgA: 1])  // a3, due 14 March
        }
    }

    @Test func changesMoveTheSumsAndNothingIsCountedTwice() async throws {
        try await withApp(demo: true) { app in
            let f = try await StatFixture.make(app)
            _ = try await StatisticsQuery.totals([.contact], period: q1, scope: .region, app: app)
            // a3 is answered (explained, oral, on 10 March), then moved to organisation B.
            let a3 = try #require(try await Appeal.find(f.ids["a3"], on: app.db))
            a3.status = .answered
            a3.outcome = .explained
            a3.helpKind = .oralConsultation
            a3.answeredAt = f.at(2026, 3, 10, 12)
            a3.folder = .done
            try await a3.save(on: app.db)
            a3.$executorOrganisation.id = f.orgB
            try await a3.save(on: app.db)
            // a6 is deleted; c2 too.
            try await Appeal.find(f.ids["a6"], on: app.db)?.delete(on: app.db)
            try await ContactRecord.find(f.ids["c2"], on: app.db)?.delete(on: app.db)

            let totals = try await StatisticsQuery.totals([.contact, .status, .answer], period: q1, scope: .region, app: app)
            let report = OfficialReport.make(period: q1, contact: totals[.contact] ?? [:], spheres: ReportSpheres.codes)
            #expect(report.total.contacts == 6)
            #expect(report.total.byResult == [.satisfied: 2, .partly: 1, .explained: 3])
            #expect(totals[.status]?.mapValues(\.count).filter { $0.value != 0 } == ["closed": 1, "answered": 3])
            #expect(totals[.answer]?.values.map(\.count).reduce(0, +) == 4)
            let forB = try await StatisticsQuery.totals([.contact], period: q1, scope: .organisations([f.orgB]), app: app)
            #expect(forB[.contact]?.values.map(\.count).reduce(0, +) == 3)  // a3, a4, c1
            // The folded sums equal a fresh count: rebuild them from scratch and compare.
            let folded = try await allCounts(app)
            let monthly = folded.filter { $0.key.hasPrefix("stat_counts|") }
            #expect(!monthly.isEmpty && folded.contains { $0.key.hasPrefix("stat_day_counts|") })
            #expect(
                Dictionary(uniqueKeysWithValues: folded.filter { $0.key.hasPrefix("days-by-month|") }.map {
                    ("stat_counts|" + $0.key.dropFirst("days-by-month|".count), $0.value)
                }) == monthly)
            try await StatisticsStore.rebuild(on: app.db)
            #expect(try await StatisticsStore.pending(on: app.db) > 0)
            try await StatisticsStore.fold(app: app)
            #expect(try await allCounts(app) == folded)
        }
    }

    /// Every sum, keyed `table|period|organisation|dimension|value`: the daily sums, and the monthly ones
    /// both as stored and as added up from the days (`days-by-month`), which must be the same.
    func allCounts(_ app: Application) async throws -> [String: Int] {
        guard let sql = app.db as? any SQLDatabase else { return [:] }
        var out: [String: Int] = [:]
        for (table, period) in [("stat_counts", "month"), ("stat_day_counts", "day"), ("days-by-month", "month")] {
            let source = table == "days-by-month"
                ? "SELECT day / 100 AS month, organisation_id, dimension, value, CAST(SUM(count) AS BIGINT) AS count, "
                    + "CAST(SUM(amount) AS BIGINT) AS amount, CAST(SUM(seconds) AS BIGINT) AS seconds "
                    + "FROM stat_day_counts GROUP BY day / 100, organisation_id, dimension, value"
                : "SELECT \(period), organisation_id, dimension, value, count, amount, seconds FROM \(table)"
            for row in try await sql.raw(SQLQueryString(stringLiteral: source)).all() {
                let amount = StatAmount(
                    count: try row.decode(column: "count", as: Int.self), amount: try row.decode(column: "amount", as: Int.self),
                    seconds: try row.decode(column: "seconds", as: Int.self))
                guard !amount.isZero else { continue }
                let key = "\(table)|\(try row.decode(column: period, as: Int.self))|\(try row.decode(column: "organisation_id", as: UUID.self))|"
                    + "\(try row.decode(column: "dimension", as: String.self))|\(try row.decode(column: "value", as: String.self))"
                out[key] = amount.count * 1_000_000_000 + amount.amount + amount.seconds
            }
        }
        return out
    }

    @Test func theAnswerCarriesTheHelpAndTheMoneyReturned() async throws {
        try await withApp(demo: true) { app in
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            var appeal = try await Processing.accepted(app, citizen)
            let coordinator = try await API.signedIn(app, "coordinator@consumerdesk.test")
            let executorID = try await Processing.userID(app, "executor@consumerdesk.test")
            appeal = try await Processing.act(coordinator, appeal, ["action": "assign", "executorId": executorID.uuidString])
                .content.decode(AppealDTO.self)
            let executor = try await API.signedIn(app, "executor@consumerdesk.test")
            appeal = try await Processing.act(executor, appeal, ["action": "take"]).content.decode(AppealDTO.self)
            let text = "Продавец вернул деньги после претензии."
            var response = try await Processing.act(
                executor, appeal, ["action": "submit_answer", "text": text, "outcome": "satisfied", "help": "advice"])
            #expect(response.status == .unprocessableEntity)
            #expect(response.body.string.contains("help"))
            response = try await Processing.act(
                executor, appeal, ["action": "submit_answer", "text": text, "outcome": "explained", "moneyReturned": "100"])
            #expect(response.status == .unprocessableEntity)
            #expect(response.body.string.contains("moneyReturned"))
            response = try await Processing.act(
                executor, appeal, ["action": "submit_answer", "text": text, "outcome": "satisfied", "moneyReturned": "-5"])
            #expect(response.status == .unprocessableEntity)
            response = try await Processing.act(
                executor, appeal,
                ["action": "submit_answer", "text": text, "outcome": "satisfied", "help": "claim_help", "moneyReturned": "12 990,50"])
            #expect(response.status == .ok, "\(response.body.string)")
            appeal = try response.content.decode(AppealDTO.self)
            let manager = try await API.signedIn(app, "manager@consumerdesk.test")
            response = try await Processing.act(manager, appeal, ["action": "approve"])
            #expect(response.status == .ok, "\(response.body.string)")
            let stored = try #require(try await Appeal.query(on: app.db).filter(\.$number == appeal.number).first())
            #expect(stored.helpKind == .claimHelp)
            #expect(stored.moneyReturned == 1_299_050)
            #expect(stored.sphere == "trade")

            let today = app.productionCalendar.localDate(of: app.clock.now())
            let totals = try await StatisticsQuery.totals(
                [.contact], period: .month(StatMonth(today)), scope: .region, app: app)
            #expect(totals[.contact]?["appeal|trade|claim_help|satisfied"] == StatAmount(count: 1, amount: 1_299_050))
        }
    }
}

@Suite("Statistics pages and API", .serialized)
struct StatisticsPageTests {
    static let q1 = "from=2026-01-01&to=2026-03-31"

    @Test func eachRoleSeesItsScopeAndBadRequestsAreRefused() async throws {
        try await withApp(demo: true) { app in
            let f = try await StatFixture.make(app)
            let curator = try await API.signedIn(app, "curator@consumerdesk.test")
            var response = try await curator.send(.GET, "/api/v1/stats/dashboard?\(Self.q1)")
            #expect(response.status == .ok, "\(response.body.string)")
            var dashboard = try response.content.decode(Dashboard.self)
            #expect(dashboard.tiles.first { $0.id == "tile-contacts" }?.value == "8")
            #expect(dashboard.tiles.first { $0.id == "tile-on-time" }?.value == "67\u{00A0}%")
            #expect(dashboard.tiles.first { $0.id == "tile-money" }?.value == Money.format(kopecks: 2_300_000))
            let compliance = try #require(dashboard.sections.first { $0.id == "compliance" })
            #expect(compliance.table.total?[3].number == 3)  // answers
            #expect(compliance.table.total?[8].text == "40")  // 90 % within 40 days
            let hotspots = try #require(dashboard.sections.first { $0.id == "hotspots" })
            #expect(hotspots.table.rows.first?.first?.text == "Возврат денег за товар с недостатком" || hotspots.table.rows.first?[1].number == 2)
            #expect(hotspots.svg?.contains("<title id=\"chart-hotspots-title\">") == true)

            // The coordinator of ТО в г. Волжском sees that organisation only.
            let coordinator = try await API.signedIn(app, "coordinator@consumerdesk.test")
            dashboard = try await coordinator.send(.GET, "/api/v1/stats/dashboard?\(Self.q1)").content.decode(Dashboard.self)
            #expect(dashboard.tiles.first { $0.id == "tile-contacts" }?.value == "4")
            #expect(try await coordinator.send(.GET, "/api/v1/stats/dashboard?\(Self.q1)&organisation=\(f.orgB)").status == .forbidden)
            #expect(try await curator.send(.GET, "/api/v1/stats/dashboard?\(Self.q1)&organisation=\(UUID())").status == .notFound)
            dashboard = try await curator.send(.GET, "/api/v1/stats/dashboard?\(Self.q1)&organisation=\(f.orgB)").content.decode(Dashboard.self)
            #expect(dashboard.tiles.first { $0.id == "tile-contacts" }?.value == "3")

            response = try await curator.send(.GET, "/api/v1/stats/dashboard?from=2026-03-31&to=2026-01-01")
            #expect(response.status == .unprocessableEntity)
            #expect(response.body.string.contains("the period ends before it starts"))
            #expect(try await curator.send(.GET, "/api/v1/stats/dashboard?from=2020-01-01&to=2026-01-01").status == .unprocessableEntity)
            #expect(try await curator.send(.GET, "/api/v1/stats/dashboard?from=2026-13-01&to=2026-01-01").status == .unprocessableEntity)
            // An empty period is a dashboard of zeros.
            response = try await curator.send(.GET, "/api/v1/stats/dashboard?from=2020-01-01&to=2020-03-31")
            #expect(response.status == .ok)
            #expect(try response.content.decode(Dashboard.self).tiles.first { $0.id == "tile-contacts" }?.value == "0")

            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            #expect(try await citizen.send(.GET, "/api/v1/stats/dashboard?\(Self.q1)").status == .forbidden)
        }
    }

    @Test func thePageDrawsChartsAndEveryFigureLeadsToItsAppeals() async throws {
        try await withApp(demo: true) { app in
            let f = try await StatFixture.make(app)
            let browser = try Browser(app)
            try await browser.signIn("curator@consumerdesk.test")
            var page = try await browser.get("/stats?\(Self.q1)")
            #expect(page.status == .ok)
            var html = page.body.string
            #expect(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"chart-by-sphere\""))
            #expect(html.contains("role=\"img\""))
            #expect(html.contains("/stats/appeals?from=2026-01-01&amp;to=2026-03-31&amp;dimension=sphere&amp;value=trade"))
            #expect(html.contains("heat-9"))

            page = try await browser.get("/stats/appeals?\(Self.q1)&dimension=sphere&value=trade")
            #expect(page.status == .ok)
            html = page.body.string
            // a1, a2, a6 and the call c1 and the visit c3.
            #expect(html.contains("id=\"drill-total\">5<"))
            let numbers = try await Appeal.query(on: app.db).filter(\.$id ~~ [f.ids["a1"]!, f.ids["a2"]!, f.ids["a6"]!]).all().map(\.number)
            for number in numbers { #expect(html.contains("data-number=\"\(number)\"")) }
            #expect(html.contains("Горячая линия"))

            let api = try await API.signedIn(app, "curator@consumerdesk.test")
            var drill = try await api.send(.GET, "/api/v1/stats/appeals?\(Self.q1)&dimension=answer&value=late").content.decode(StatisticsController.DrillDown.self)
            #expect(drill.appeals.map(\.number) == [try #require(try await Appeal.find(f.ids["a2"], on: app.db)).number])
            drill = try await api.send(.GET, "/api/v1/stats/appeals?\(Self.q1)&dimension=company&value=name:ромашка".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)
                .content.decode(StatisticsController.DrillDown.self)
            #expect(drill.total == 2)
            drill = try await api.send(.GET, "/api/v1/stats/appeals?\(Self.q1)&dimension=result&value=redirected").content.decode(StatisticsController.DrillDown.self)
            #expect(drill.total == 1)
            #expect(drill.contacts.first?.kind == "Онлайн-консультации")
            #expect(try await api.send(.GET, "/api/v1/stats/appeals?\(Self.q1)&dimension=nonsense&value=1").status == .unprocessableEntity)

            page = try await browser.get("/stats/report?\(Self.q1)")
            #expect(page.status == .ok)
            #expect(page.body.string.contains("id=\"official-table\""))
            #expect(page.body.string.contains(Money.format(kopecks: 1_800_000)))
        }
    }
}

@Suite("Contacts that are not appeals", .serialized)
struct ContactTests {
    @Test func aHotlineCallIsRecordedAndCountedBySphere() async throws {
        try await withApp(demo: true) { app in
            let operatorAPI = try await API.signedIn(app, "operator@consumerdesk.test")
            var response = try await operatorAPI.send(.POST, "/api/v1/contacts", json: ["kind": "hotline", "sphere": "trade"])
            #expect(response.status == .created, "\(response.body.string)")
            let contact = try response.content.decode(ContactDTO.self)
            #expect(contact.help == .oralConsultation)
            #expect(contact.result == .explained)
            #expect(contact.organisationId == (try await Processing.organisation(app, "Администрация Волгограда")))

            for (body, field) in [
                (["kind": "hotline"], "sphere"), (["kind": "chat", "sphere": "trade"], "kind"),
                (["kind": "hotline", "sphere": "trade", "result": "explained", "moneyReturned": "100"], "moneyReturned"),
                (["kind": "hotline", "sphere": "trade", "occurredAt": "2099-01-01T10:00"], "occurredAt"),
                (["kind": "hotline", "sphere": "space"], "sphere"), (["kind": "hotline", "sphere": "trade", "help": "magic"], "help"),
            ] {
                response = try await operatorAPI.send(.POST, "/api/v1/contacts", json: body)
                #expect(response.status == .unprocessableEntity, "\(body)")
                #expect(response.body.string.contains(field), "\(body): \(response.body.string)")
            }
            #expect(try await ContactRecord.query(on: app.db).count() == 1)
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            #expect(try await citizen.send(.POST, "/api/v1/contacts", json: ["kind": "hotline", "sphere": "trade"]).status == .forbidden)

            // A visit yesterday, with money returned, through the page.
            let browser = try Browser(app)
            try await browser.signIn("operator@consumerdesk.test")
            #expect(try await browser.get("/contacts").status == .ok)
            let yesterday = app.productionCalendar.localDate(of: app.clock.now()).adding(days: -1)
            let page = try await browser.post("/contacts", form: [
                ("kind", "reception"), ("occurredAt", "\(yesterday)T11:00"), ("sphere", "housing"), ("help", "claim_help"),
                ("result", "satisfied"), ("moneyReturned", "2 500"),
            ])
            #expect(page.status == .seeOther)
            #expect(try await browser.get("/contacts").body.string.contains("Личный приём"))

            let curator = try await API.signedIn(app, "curator@consumerdesk.test")
            let from = yesterday.adding(days: -1)
            let to = yesterday.adding(days: 2)
            let dashboard = try await curator.send(.GET, "/api/v1/stats/dashboard?from=\(from)&to=\(to)").content.decode(Dashboard.self)
            #expect(dashboard.tiles.first { $0.id == "tile-contacts" }?.value == "2")
            #expect(dashboard.tiles.first { $0.id == "tile-money" }?.value == Money.format(kopecks: 250_000))
        }
    }
}

extension ContactTests {
    @Test func aChatAnsweredOrReferredCountsAsAContactInItsSphere() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { workingDay(hour: 11) }
            let operatorAPI = try await ConsultationTests.online(app)
            _ = try await operatorAPI.send(.POST, "/api/v1/operator/presence", json: ConsultationController.PresenceInput(status: "online", capacity: 3))
            let answered = try await ConsultationTests.start(try API(app))
            let spam = try await ConsultationTests.start(try API(app))
            #expect(answered.state == .active && spam.state == .active)
            var response = try await operatorAPI.send(
                .POST, "/api/v1/operator/chats/\(answered.id)/close", json: ["outcome": "answered", "sphere": "space"])
            #expect(response.status == .unprocessableEntity)
            response = try await operatorAPI.send(
                .POST, "/api/v1/operator/chats/\(answered.id)/close", json: ["outcome": "answered", "sphere": "communications"])
            #expect(response.status == .noContent)
            response = try await operatorAPI.send(.POST, "/api/v1/operator/chats/\(spam.id)/close", json: ["outcome": "spam"])
            #expect(response.status == .noContent)
            let contacts = try await ContactRecord.query(on: app.db).all()
            #expect(contacts.count == 1)
            #expect(contacts.first?.kind == .chat)
            #expect(contacts.first?.sphere == "communications")
            #expect(contacts.first?.consultationID == answered.id)
            #expect(contacts.first?.operatorID == (try await Processing.userID(app, "operator@consumerdesk.test")))
            let today = app.productionCalendar.localDate(of: app.clock.now())
            let totals = try await StatisticsQuery.totals([.contact], period: .month(StatMonth(today)), scope: .region, app: app)
            #expect(totals[.contact]?["chat|communications|oral_consultation|explained"]?.count == 1)
        }
    }
}

@Suite("Report exports", .serialized)
struct ReportExportTests {
    @Test func theWorkbookHoldsTypedNumbersAndTheCSVKeepsCyrillic() async throws {
        try await withApp(demo: true) { app in
            _ = try await StatFixture.make(app)
            let curator = try await API.signedIn(app, "curator@consumerdesk.test")
            var response = try await curator.send(.GET, "/api/v1/stats/report.xlsx?from=2026-01-01&to=2026-03-31")
            #expect(response.status == .ok)
            #expect(response.headers.contentType?.subType == "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            #expect(response.headers.first(name: .contentDisposition) == "attachment; filename=\"svedeniya-2026-01-01-2026-03-31.xlsx\"")
            let archive = try Archive(data: Data(buffer: response.body), accessMode: .read)
            var sheet = ""
            _ = try archive.extract(try #require(archive["xl/worksheets/sheet1.xml"])) { sheet += String(decoding: $0, as: UTF8.self) }
            #expect(try #require(archive["[Content_Types].xml"]).path == "[Content_Types].xml")
            #expect(sheet.contains("<pane xSplit=\"1\" ySplit=\"3\""))
            // The totals row: 8 contacts as a number in a bold count cell; money in roubles as a number.
            #expect(sheet.contains("t=\"inlineStr\"><is><t xml:space=\"preserve\">Итого</t>"))
            #expect(sheet.contains("<c r=\"B15\" s=\"7\"><v>8</v></c>"))
            #expect(sheet.contains("<v>18000</v>"))
            #expect(sheet.contains("<v>5000</v>"))

            response = try await curator.send(.GET, "/api/v1/stats/report.csv?from=2026-01-01&to=2026-03-31")
            #expect(response.status == .ok)
            let bytes = Array(response.body.readableBytesView)
            #expect(bytes.prefix(3) == [0xEF, 0xBB, 0xBF])
            let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
            let lines = text.components(separatedBy: "\r\n")
            #expect(lines[0] == "Сведения о работе по защите прав потребителей")
            #expect(lines[2].hasPrefix("Сфера;Всего обращений и консультаций;Устная консультация"))
            #expect(lines.contains { $0.hasPrefix("Торговля;5;1;0;2;0;1;0;1;2;1;0;1;0;0;1;18000,00;5000,00") })
            #expect(lines.contains { $0.hasPrefix("Итого;8;") })
            response = try await curator.send(.GET, "/api/v1/stats/report.csv?from=2026-01-01&to=2026-03-31&table=compliance")
            #expect(String(buffer: response.body).contains("Организация;"))
            #expect(try await curator.send(.GET, "/api/v1/stats/report.csv?from=2026-01-01&to=2026-03-31&table=x").status == .unprocessableEntity)
            // An empty period is a report of zeros.
            response = try await curator.send(.GET, "/api/v1/stats/report.csv?from=2019-01-01&to=2019-12-31")
            #expect(String(buffer: response.body).contains("Итого;" + Array(repeating: "0", count: 15).joined(separator: ";") + ";0,00;0,00"))
        }
    }
}

@Suite("Report command and open data", .serialized)
struct ReportCommandAndOpenDataTests {
    @Test func theCommandWritesTheReportForAnyPeriod() async throws {
        try await withApp(demo: true) { app in
            _ = try await StatFixture.make(app)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let xlsx = directory.appendingPathComponent("q1.xlsx").path
            var context = CommandContext(
                console: Terminal(), input: CommandInput(arguments: ["consumerdesk", "--from", "2026-01-01", "--to", "2026-03-31", "--output", xlsx]))
            context.application = app
            try await ReportCommand().run(using: &context)
            let archive = try Archive(url: URL(fileURLWithPath: xlsx), accessMode: .read)
            #expect(archive["xl/worksheets/sheet2.xml"] != nil)

            let csv = directory.appendingPathComponent("q1.csv").path
            context = CommandContext(
                console: Terminal(),
                input: CommandInput(arguments: ["consumerdesk", "--from", "2026-01-01", "--to", "2026-03-31", "--format", "csv", "--output", csv]))
            context.application = app
            try await ReportCommand().run(using: &context)
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: csv)).dropFirst(3), as: UTF8.self)
            #expect(text.contains("\r\nИтого;8;"))

            context = CommandContext(
                console: Terminal(), input: CommandInput(arguments: ["consumerdesk", "--from", "2026-03-31", "--to", "2026-01-01", "--output", csv]))
            context.application = app
            await #expect(throws: ValidationFailure.self) { try await ReportCommand().run(using: &context) }
        }
    }

    @Test func openDataCarriesNoPersonalDataAndStreamsEveryAppeal() async throws {
        try await withApp(demo: true) { app in
            let f = try await StatFixture.make(app)
            let tester = try app.testing()
            var response = try await tester.sendRequest(.GET, "/opendata/appeals.csv?from=2026-01-01&to=2026-03-31")
            #expect(response.status == .ok)
            let bytes = Array(response.body.readableBytesView)
            #expect(bytes.prefix(3) == [0xEF, 0xBB, 0xBF])
            let rows = try CSV.parse(String(decoding: bytes, as: UTF8.self))
            #expect(rows.first?.fields.first == "number")
            // a1, a2, a3, a4, a6 (a5 is in April and still in moderation).
            #expect(rows.count == 6)
            let body = String(decoding: bytes, as: UTF8.self)
            for secret in ["Петров", "petrov", "Ромашка", "7707083893", "Обращение для статистики", "г. Волжский"] {
                #expect(!body.contains(secret), "\(secret) leaked")
            }
            let a2 = try #require(try await Appeal.find(f.ids["a2"], on: app.db))
            let line = try #require(rows.first { $0.fields.first == a2.number })
            #expect(line.fields[11] == "Удовлетворено частично")
            #expect(line.fields[14] == "false")  // late
            #expect(line.fields[15] == "2")

            response = try await tester.sendRequest(.GET, "/opendata/appeals.json?from=2026-01-01&to=2026-03-31")
            let records = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]]
            #expect(records?.count == 5)
            #expect(records?.allSatisfy { $0["number"] != nil && $0["surname"] == nil && $0["email"] == nil } == true)
            #expect(try await tester.sendRequest(.GET, "/opendata/appeals.json?from=2024-01-01&to=2026-01-01").status == .unprocessableEntity)
            #expect(try await tester.sendRequest(.GET, "/opendata/appeals.json?from=2026-03-01&to=2026-01-01").status == .unprocessableEntity)
            response = try await tester.sendRequest(.GET, "/opendata/appeals.json?from=2019-01-01&to=2019-01-31")
            #expect(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [Any] != nil)
        }
    }
}

@Suite("Report archive", .serialized)
struct ReportArchiveTests {
    @Test func closedPeriodsAreArchivedOnceAndServedByScope() async throws {
        try await withApp(demo: true) { app in
            let f = try await StatFixture.make(app)
            let active = try await Organisation.query(on: app.db).filter(\.$isActive == true).count()
            // The night of 2 April: March and the first quarter have closed.
            let now = f.at(2026, 4, 2, 3, 30)
            #expect(ReportArchive.closedPeriods(today: LocalDate(2026, 4, 2)).map(\.0) == [.month, .quarter])
            #expect(ReportArchive.closedPeriods(today: LocalDate(2027, 1, 1)).map(\.0) == [.month, .quarter, .year])
            #expect(try await ReportArchive.archive(app: app, now: now) == 2 * (1 + active) * 3)
            #expect(try await ReportArchive.archive(app: app, now: now) == 0)

            let regionQ1 = try #require(
                try await ArchivedReport.query(on: app.db).filter(\.$organisationID == StatisticsStore.noOrganisation)
                    .filter(\.$periodFrom == "2026-01-01").filter(\.$periodTo == "2026-03-31").filter(\.$format == "xlsx").first())
            let archive = try Archive(data: regionQ1.content, accessMode: .read)
            var sheet = ""
            _ = try archive.extract(try #require(archive["xl/worksheets/sheet1.xml"])) { sheet += String(decoding: $0, as: UTF8.self) }
            #expect(sheet.contains("<c r=\"B15\" s=\"7\"><v>8</v></c>"))
            let ownQ1 = try #require(
                try await ArchivedReport.query(on: app.db).filter(\.$organisationID == f.orgA)
                    .filter(\.$periodFrom == "2026-01-01").filter(\.$format == "csv-official").first())

            let curator = try Browser(app)
            try await curator.signIn("curator@consumerdesk.test")
            var page = try await curator.get("/stats/archive")
            #expect(page.status == .ok)
            #expect(page.body.string.contains("svedeniya-2026-01-01-2026-03-31.xlsx"))
            page = try await curator.get("/stats/archive/\(try regionQ1.requireID())")
            #expect(page.status == .ok)
            #expect(page.headers.first(name: .contentDisposition)?.contains("svedeniya-2026-01-01-2026-03-31.xlsx") == true)

            let coordinator = try Browser(app)
            try await coordinator.signIn("coordinator@consumerdesk.test")
            #expect(try await coordinator.get("/stats/archive/\(try regionQ1.requireID())").status == .forbidden)
            page = try await coordinator.get("/stats/archive/\(try ownQ1.requireID())")
            #expect(page.status == .ok)
            #expect(String(buffer: page.body).contains("Итого;4;"))
            #expect(!(try await coordinator.get("/stats/archive").body.string.contains("Вся область")))
        }
    }
}
