import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

@Suite("Territories", .serialized)
struct TerritoryTests {
    @Test func platformAdminAddsASettlementToADistrict() async throws {
        try await withApp(demo: true) { app in
            let api = try await API.signedIn(app, "admin@consumerdesk.test")
            let district = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-gorodishchensky").first())
            let created = try await api.send(
                .POST, "/api/v1/territories",
                json: ["code": "vlg-gorodishche-rp", "name": "Городищенское городское поселение", "kind": "settlement",
                       "parentId": try district.requireID().uuidString])
            #expect(created.status == .created)
            let dto = try created.content.decode(TerritoryDTO.self)
            #expect(dto.parentId == district.id)

            let duplicate = try await api.send(
                .POST, "/api/v1/territories",
                json: ["code": "vlg-gorodishche-rp", "name": "Другое", "kind": "settlement", "parentId": try district.requireID().uuidString])
            #expect(duplicate.status == .unprocessableEntity)
            let orphan = try await api.send(.POST, "/api/v1/territories", json: ["code": "x", "name": "X", "kind": "settlement"])
            #expect(orphan.status == .unprocessableEntity)
            #expect(try orphan.content.decode(APIErrorBody.self).fields?.map(\.field) == ["parentId"])
            let badCode = try await api.send(
                .POST, "/api/v1/territories", json: ["code": "Город!", "name": "X", "kind": "region"])
            #expect(try badCode.content.decode(APIErrorBody.self).fields?.map(\.field) == ["code"])

            let renamed = try await api.send(.PATCH, "/api/v1/territories/\(dto.id)", json: ["name": "Городище"])
            #expect(try renamed.content.decode(TerritoryDTO.self).name == "Городище")
        }
    }

    @Test func organisationAdminsCannotChangeReferenceData() async throws {
        try await withApp(demo: true) { app in
            let api = try await API.signedIn(app, "admin.volgograd@consumerdesk.test")
            let response = try await api.send(.POST, "/api/v1/territories", json: ["code": "x", "name": "X", "kind": "region"])
            #expect(response.status == .forbidden)
            let browser = try Browser(app)
            try await browser.signIn("admin.volgograd@consumerdesk.test")
            let page = try await browser.get("/admin/territories")
            #expect(page.status == .ok)
            #expect(!page.body.string.contains("territory-form"))
        }
    }

    @Test func territoryFormShowsErrorsAndSaves() async throws {
        try await withApp(demo: true) { app in
            let browser = try Browser(app)
            try await browser.signIn("admin@consumerdesk.test")
            let bad = try await browser.post("/admin/territories", form: [("name", ""), ("code", ""), ("kind", "region")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.string.contains("Заполните это поле."))
            let region = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg").first())
            let good = try await browser.post(
                "/admin/territories",
                form: [("name", "Ольховский муниципальный район"), ("code", "vlg-olkhovsky"), ("kind", "municipal_district"),
                       ("parentId", try region.requireID().uuidString)])
            #expect(good.status == .seeOther)
            let list = try await browser.get("/admin/territories")
            #expect(list.body.string.contains("Ольховский муниципальный район"))
        }
    }
}
