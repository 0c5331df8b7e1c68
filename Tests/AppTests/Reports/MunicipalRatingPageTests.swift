import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import ZIPFoundation

@testable import App
@testable import Domain

/// The rating over a register whose figures are worked by hand in DomainTests/MunicipalRatingTests:
/// the same ranks come out of the real statistics on either engine.
@Suite("Municipal rating pages", .serialized)
struct MunicipalRatingPageTests {
    struct Ids {
        var volgograd: UUID
        var volzhsky: UUID
        var gorodishche: UUID
    }

    static func load(_ app: Application) async throws -> Ids {
        var fixture = StatFixture(app: app)
        let ids = Ids(
            volgograd: try await Processing.organisation(app, "Администрация Волгограда"),
            volzhsky: try await Processing.organisation(app, "Администрация г. Волжского"),
            gorodishche: try await Processing.organisation(app, "Администрация Городищенского района"))
        let department = try await Processing.organisation(app, "ТО в г. Волжском")
        let operatorID = try await Processing.userID(app, "operator@consumerdesk.test")
        let clock = StatFixture(app: app)
        func at(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int = 0) -> Date { clock.at(year, month, day, hour, minute) }
        // Populations: Volgograd 100 000, Volzhsky 50 000, Gorodishche unknown.
        for (code, population) in [("vlg-volgograd", 100_000), ("vlg-volzhsky", 50_000)] {
            try await Territory.query(on: app.db).filter(\.$code == code).set(\.$population, to: population).update()
        }
        try await Territory.query(on: app.db).filter(\.$code == "vlg-gorodishchensky").set(\.$population, to: nil).update()
        typealias Spec = StatFixture.Spec
        let specs: [Spec] = [
            // Volgograd: satisfied with 10 000 ₽ on time and rated 5; not satisfied, late, rated 3.
            Spec(key: "v1", registered: at(2026, 1, 10, 10), organisation: ids.volgograd, subcategory: "trade-refund-defective",
                 channel: .portal, status: .closed, outcome: .satisfied, help: .claimHelp, money: 1_000_000, answered: at(2026, 1, 15, 10),
                 due: at(2026, 2, 9, 23, 59), rating: 5, rated: at(2026, 1, 16, 9)),
            Spec(key: "v2", registered: at(2026, 2, 1, 10), organisation: ids.volgograd, subcategory: "trade-refund-defective",
                 channel: .portal, status: .closed, outcome: .notSatisfied, help: .writtenConsultation, answered: at(2026, 3, 10, 10),
                 due: at(2026, 3, 3, 23, 59), rating: 3, rated: at(2026, 3, 11, 9)),
            // Volzhsky: partly with 3 000 ₽ on time, rated 4; satisfied on time, not rated.
            Spec(key: "z1", registered: at(2026, 1, 20, 10), organisation: ids.volzhsky, subcategory: "trade-refund-defective",
                 channel: .widget, status: .closed, outcome: .partly, help: .claimHelp, money: 300_000, answered: at(2026, 1, 25, 10),
                 due: at(2026, 2, 19, 23, 59), rating: 4, rated: at(2026, 1, 26, 9)),
            Spec(key: "z2", registered: at(2026, 2, 5, 10), organisation: ids.volzhsky, subcategory: "trade-refund-defective",
                 channel: .portal, status: .answered, outcome: .satisfied, help: .claimHelp, answered: at(2026, 2, 10, 10),
                 due: at(2026, 3, 7, 23, 59)),
            // Previous quarter: Gorodishche satisfied on time, rated 5; Volgograd answered late.
            Spec(key: "g0", registered: at(2025, 11, 10, 10), organisation: ids.gorodishche, subcategory: "trade-refund-defective",
                 channel: .portal, status: .closed, outcome: .satisfied, help: .claimHelp, answered: at(2025, 11, 12, 10),
                 due: at(2025, 12, 10, 23, 59), rating: 5, rated: at(2025, 11, 13, 9)),
            Spec(key: "v0", registered: at(2025, 10, 1, 10), organisation: ids.volgograd, subcategory: "trade-refund-defective",
                 channel: .portal, status: .answered, outcome: .explained, help: .writtenConsultation, answered: at(2025, 11, 20, 10),
                 due: at(2025, 10, 31, 23, 59)),
            // A territorial department is not a municipality: its figures stay out.
            Spec(key: "d1", registered: at(2026, 1, 12, 10), organisation: department, subcategory: "trade-refund-defective",
                 channel: .portal, status: .closed, outcome: .satisfied, help: .claimHelp, money: 9_000_000, answered: at(2026, 1, 13, 10),
                 due: at(2026, 2, 11, 23, 59), rating: 5, rated: at(2026, 1, 14, 9)),
        ]
        for spec in specs { _ = try await fixture.insert(spec) }
        _ = try await fixture.contact(.hotline, at(2026, 3, 1, 12), ids.volgograd, operatorID, "trade", .oralConsultation, .explained)
        _ = try await fixture.contact(.reception, at(2026, 3, 5, 12), ids.gorodishche, operatorID, "trade", .claimHelp, .satisfied, money: 50_000)
        // Volzhsky held a seminar in February; Volgograd's was cancelled.
        for (title, organiser, status) in [("Семинар в Волжском", ids.volzhsky, EventStatus.published), ("Отменённый", ids.volgograd, .cancelled)] {
            let event = Event()
            event.slug = Slug.make(from: title)
            event.audience = .public
            event.format = .seminar
            event.status = status
            event.title = title
            event.description = "Программа"
            event.place = "Зал"
            event.startsAt = at(2026, 2, 15, 10)
            event.endsAt = at(2026, 2, 15, 12)
            event.confirmedCount = 0
            event.sequence = 0
            event.attendees = 25
            event.createdAt = at(2026, 1, 1, 10)
            event.updatedAt = at(2026, 1, 1, 10)
            try await event.create(on: app.db)
            try await EventOrganiser(event: event.requireID(), organisation: organiser).create(on: app.db)
        }
        return ids
    }

    @Test func theRatingMatchesTheHandCountOnEitherEngine() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { Date(timeIntervalSince1970: 1_790_000_000) }  // mid-2026
            let ids = try await Self.load(app)
            let result = try await MunicipalRatingService.rating(period: .quarter(year: 2026, 1), app: app, now: app.clock.now())
            let rows = Dictionary(uniqueKeysWithValues: result.rows.map { ($0.id, $0) })
            #expect(result.rows.map(\.id) == [ids.volzhsky, ids.volgograd, ids.gorodishche])
            #expect(result.rows.map(\.score) == [92.81, 33.33, 22.22])
            #expect(result.rows.map(\.rank) == [1, 2, 3])
            #expect(rows[ids.volgograd]?.figures == .init(
                population: 100_000, contacts: 3, answered: 2, answeredOnTime: 1, ratingSum: 8, ratings: 2, favourable: 1, settled: 2,
                money: 1_000_000, events: 0))
            #expect(rows[ids.volzhsky]?.figures.events == 1)
            #expect(rows[ids.gorodishche]?.change == -2 && rows[ids.volgograd]?.change == 0 && rows[ids.volzhsky]?.change == nil)

            // The page: ranks, scores, the method with its weights, the chart; «нет данных» where empty.
            let curator = try Browser(app)
            try await curator.signIn("curator@consumerdesk.test")
            let page = try await curator.get("/stats/rating?from=2026-01-01&to=2026-03-31")
            #expect(page.status == .ok)
            let html = page.body.string
            #expect(html.contains("92,81") && html.contains("33,33") && html.contains("22,22"))
            #expect(html.contains("id=\"rating-method\"") && html.contains("id=\"rating-chart\""))
            #expect(html.contains("▼ 2"), "Gorodishche lost two places")
            #expect(!html.contains("ТО в г. Волжском"))
            let empty = try await curator.get("/stats/rating?from=2024-01-01&to=2024-03-31")
            #expect(empty.status == .ok && empty.body.string.components(separatedBy: "<td class=\"rating-rank\">нет данных</td>").count == 4)
            let bad = try await curator.get("/stats/rating?from=2026-03-31&to=2026-01-01")
            #expect(bad.status == .unprocessableEntity && bad.body.string.contains("id=\"rating-error\""))

            // The workbook: typed numbers.
            let file = try await curator.get("/stats/rating.xlsx?from=2026-01-01&to=2026-03-31")
            #expect(file.status == .ok && file.headers.first(name: .contentDisposition)?.contains("reiting-2026-01-01-2026-03-31.xlsx") == true)
            let archive = try Archive(data: Data(buffer: file.body), accessMode: .read)
            var sheet = ""
            _ = try archive.extract(try #require(archive["xl/worksheets/sheet1.xml"])) { sheet += String(decoding: $0, as: UTF8.self) }
            #expect(sheet.contains("<v>92.81</v>") && sheet.contains("Администрация г. Волжского"))

            // The API: the same ranks as JSON, and the workbook.
            let api = try await API.signedIn(app, "curator@consumerdesk.test")
            let json = try await api.send(.GET, "/api/v1/stats/rating?from=2026-01-01&to=2026-03-31")
            #expect(json.status == .ok)
            let dto = try json.content.decode(RatingDTO.self)
            #expect(dto.rows.map(\.rank) == [1, 2, 3] && dto.rows.first?.organisationID == ids.volzhsky)
            #expect(dto.rows.first?.values.money == 1500 && dto.weights.onTime == 2 && dto.previousFrom == "2025-10-01")
            #expect(try await api.send(.GET, "/api/v1/stats/rating.xlsx?from=2026-01-01&to=2026-03-31").status == .ok)

            // Citizens do not see it, nor staff who read only their own organisation's statistics.
            let citizen = try Browser(app)
            try await citizen.signIn("citizen@consumerdesk.test")
            #expect(try await citizen.get("/stats/rating").status == .forbidden)
            let executor = try Browser(app)
            try await executor.signIn("executor@consumerdesk.test")
            #expect(try await executor.get("/stats/rating?from=2026-01-01&to=2026-03-31").status == .forbidden)
            #expect(try await executor.get("/stats/rating.xlsx?from=2026-01-01&to=2026-03-31").status == .forbidden)
        }
    }

    @Test func anAdminChangesWeightsAndPopulationsAndBadValuesAreRefused() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { Date(timeIntervalSince1970: 1_790_000_000) }
            let ids = try await Self.load(app)
            let curator = try Browser(app)
            try await curator.signIn("curator@consumerdesk.test")
            #expect(try await curator.get("/stats/rating/settings").status == .forbidden)
            // A municipality's admin does not set the region's weights or others' populations.
            let local = try Browser(app)
            try await local.signIn("admin.volgograd@consumerdesk.test")
            #expect(try await local.get("/stats/rating/settings").status == .forbidden)
            #expect(try await local.post("/stats/rating/settings", form: [("weight-reach", "5")]).status == .forbidden)
            let admin = try Browser(app)
            try await admin.signIn("admin@consumerdesk.test")
            let form = try await admin.get("/stats/rating/settings")
            #expect(form.status == .ok)
            let territory = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-gorodishchensky").first())
            let field = "population-\(try territory.requireID().uuidString)"
            #expect(form.body.string.contains("name=\"\(field)\""))

            func settings(_ weights: [String], population: String = "20000", note: String = "Методика") -> [(String, String)] {
                zip(MunicipalRating.Indicator.allCases, weights).map { ("weight-\($0.rawValue)", $1) } + [(field, population), ("note", note)]
            }
            let zero = try await admin.post("/stats/rating/settings", form: settings(["0", "0", "0", "0", "0", "0"]))
            #expect(zero.status == .unprocessableEntity && zero.body.string.contains("Хотя бы один показатель"))
            let negative = try await admin.post("/stats/rating/settings", form: settings(["-1", "2", "2", "2", "1", "1"], population: "много"))
            #expect(negative.status == .unprocessableEntity)
            #expect(negative.body.string.contains("id=\"weight-reach-error\"") && negative.body.string.contains("id=\"\(field)-error\""))
            #expect(try await RatingSettings.query(on: app.db).count() == 0, "nothing saved")
            #expect(try await Territory.find(territory.id, on: app.db)?.population == nil)

            // Only the events count now, and Gorodishche gets a population.
            let saved = try await admin.post("/stats/rating/settings", form: settings(["0", "0", "0", "0", "0", "1"], note: "Считаем только мероприятия."))
            #expect(saved.status == .seeOther)
            #expect(try await Territory.find(territory.id, on: app.db)?.population == 20_000)
            let page = try await admin.get("/stats/rating?from=2026-01-01&to=2026-03-31")
            #expect(page.body.string.contains("Считаем только мероприятия."))
            let result = try await MunicipalRatingService.rating(period: .quarter(year: 2026, 1), app: app, now: app.clock.now())
            #expect(result.rows.first?.id == ids.volzhsky && result.rows.first?.score == 100)
            #expect(result.rows.dropFirst().map(\.rank) == [2, 2])
            #expect(result.rows.first { $0.id == ids.gorodishche }?.values[.reach] == .some(0.5), "1 contact per 20 000 residents: 0.5 per 10 000")

            // A form that leaves a population out keeps it.
            let partial = try await admin.post(
                "/stats/rating/settings",
                form: zip(MunicipalRating.Indicator.allCases, ["1", "2", "2", "2", "1", "1"]).map { ("weight-\($0.rawValue)", $1) } + [("note", "")])
            #expect(partial.status == .seeOther)
            #expect(try await Territory.find(territory.id, on: app.db)?.population == 20_000)
        }
    }

    /// A municipality inside another keeps its own figures, and they are not counted twice.
    @Test func aNestedMunicipalityCountsOnlyForItself() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { Date(timeIntervalSince1970: 1_790_000_000) }
            let ids = try await Self.load(app)
            let district = Organisation(name: "Администрация Красноармейского района Волгограда", shortName: "Красноармейский район", kind: .municipality, parentID: ids.volgograd)
            district.isActive = true
            try await district.create(on: app.db)
            var fixture = StatFixture(app: app)
            fixture.sequence = 9500  // past the numbers load() gave
            _ = try await fixture.insert(
                .init(key: "k1", registered: fixture.at(2026, 2, 2, 10), organisation: try district.requireID(), subcategory: "trade-refund-defective",
                      channel: .portal, status: .answered, outcome: .satisfied, help: .claimHelp, answered: fixture.at(2026, 2, 3, 10),
                      due: fixture.at(2026, 3, 4, 23, 59)))
            for _ in 0..<3 {
                let result = try await MunicipalRatingService.rating(period: .quarter(year: 2026, 1), app: app, now: app.clock.now())
                let rows = Dictionary(uniqueKeysWithValues: result.rows.map { ($0.id, $0) })
                #expect(rows[try district.requireID()]?.figures.contacts == 1)
                #expect(rows[ids.volgograd]?.figures.contacts == 3, "the district's appeal is not Volgograd's")
            }
        }
    }
}
