import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

@Suite("Routing rules", .serialized)
struct RoutingAppTests {
    func organisation(_ key: String, on app: Application) async throws -> UUID {
        let name = try #require(DemoData.organisations.first { $0.key == key }).name
        return try #require(try await Organisation.query(on: app.db).filter(\.$name == name).first()?.id)
    }

    func territory(_ code: String, on app: Application) async throws -> UUID {
        try #require(try await Territory.query(on: app.db).filter(\.$code == code).first()?.id)
    }

    @Test func everySubcategoryInEveryTerritoryOfTheDemoRegionGoesToExactlyOneOrganisation() async throws {
        try await withApp(demo: true) { app in
            let snapshot = try await app.routingCache.snapshot(on: app.db, now: Date())
            let rules = snapshot.rules
            let subcategories = try await Subcategory.query(on: app.db).with(\.$category).all()
            let territories = try await Territory.query(on: app.db).all()
            let organisations = Set(try await Organisation.query(on: app.db).all().compactMap(\.id))
            #expect(subcategories.count >= 200)
            var checked = 0
            for territory in territories {
                let lineage = snapshot.lineage(of: try territory.requireID())
                for sub in subcategories {
                    let result = Routing.resolve(
                        subcategory: sub.code, category: sub.category.code, territoryLineage: lineage, rules: rules)
                    guard case .organisation(let id) = result else {
                        Issue.record("\(sub.code) in \(territory.code): \(result)")
                        continue
                    }
                    #expect(organisations.contains(id))
                    checked += 1
                }
            }
            #expect(checked == subcategories.count * territories.count)
        }
    }

    @Test func demoRulesRouteAsTheRegionWorks() async throws {
        try await withApp(demo: true) { app in
            let request = Request(application: app, on: app.eventLoopGroup.any())
            func route(_ sub: String, _ place: String) async throws -> UUID? {
                guard case .organisation(let id) = try await RoutingService.resolve(
                    subcategoryCode: sub, territoryID: try await territory(place, on: app), on: request)
                else { return nil }
                return id
            }
            #expect(try await route("trade-refund-defective", "vlg-volgograd") == organisation("adm-volgograd", on: app))
            #expect(try await route("trade-refund-defective", "vlg-leninsky") == organisation("to-volzhsky", on: app))
            #expect(try await route("trade-refund-defective", "vlg-mikhaylovka") == organisation("rpn", on: app))
            #expect(try await route("financial-services-collectors", "vlg-volzhsky") == organisation("ngo", on: app))
            let pothole = try #require(try await Subcategory.query(on: app.db).filter(\.$fastTrack == true).first()).code
            #expect(try await route(pothole, "vlg-volgograd") == organisation("adm-volgograd", on: app))
            #expect(try await route(pothole, "vlg-kamyshin") == organisation("gov", on: app))
        }
    }

    @Test func adminsAddAndRemoveRulesWithValidation() async throws {
        try await withApp(demo: true) { app in
            let api = try await API.signedIn(app, "admin@consumerdesk.test")
            let mikhaylovka = try await territory("vlg-mikhaylovka", on: app)
            let ngo = try await organisation("ngo", on: app)
            let created = try await api.send(
                .POST, "/api/v1/routing-rules",
                json: ["categoryCode": "tourism", "territoryId": mikhaylovka.uuidString, "organisationId": ngo.uuidString])
            #expect(created.status == .created)
            let rule = try created.content.decode(RoutingRuleDTO.self)
            let resolved = try await api.send(.GET, "/api/v1/routing/resolve?subcategory=tourism-tour-cancellation&territory=\(mikhaylovka)")
            if try await Subcategory.query(on: app.db).filter(\.$code == "tourism-tour-cancellation").count() > 0 {
                #expect(try resolved.content.decode(RoutingAPIController.Resolved.self).organisationId == ngo)
            }
            let contradiction = try await api.send(
                .POST, "/api/v1/routing-rules",
                json: ["categoryCode": "tourism", "territoryId": mikhaylovka.uuidString, "organisationId": try await organisation("rpn", on: app).uuidString])
            #expect(contradiction.status == .unprocessableEntity)
            let unknown = try await api.send(
                .POST, "/api/v1/routing-rules", json: ["subcategoryCode": "no-such-thing", "organisationId": ngo.uuidString])
            #expect(try unknown.content.decode(APIErrorBody.self).fields?.map(\.field) == ["subcategoryCode"])
            #expect(try await api.send(.DELETE, "/api/v1/routing-rules/\(rule.id)").status == .noContent)

            let scoped = try await API.signedIn(app, "admin.volgograd@consumerdesk.test")
            #expect(try await scoped.send(.GET, "/api/v1/routing-rules").status == .forbidden)
        }
    }

    @Test func theAdminPageShowsRulesAndChecksARoute() async throws {
        try await withApp(demo: true) { app in
            let browser = try Browser(app)
            try await browser.signIn("admin@consumerdesk.test")
            let volgograd = try await territory("vlg-volgograd", on: app)
            let page = try await browser.get("/admin/routing?subcategory=trade-refund-defective&territory=\(volgograd)")
            #expect(page.status == .ok)
            #expect(page.body.string.contains("Обращение направится в: Администрация Волгограда"))
            let bad = try await browser.post("/admin/routing", form: [("categoryCode", ""), ("subcategoryCode", ""), ("territoryId", ""), ("organisationId", "")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.string.contains("Заполните это поле."))
        }
    }
}
