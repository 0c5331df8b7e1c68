import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

@Suite("Classifier items in the admin form", .serialized)
struct ClassifierItemTests {
    static let code = "trade-refund-defective"

    func form(_ sub: Subcategory, _ changes: [String: String] = [:]) -> [(String, String)] {
        var fields: [String: String] = [
            "name": sub.name, "categoryCode": sub.category.code, "kind": sub.kind.rawValue, "answerDays": String(sub.answerDays),
            "dayType": sub.dayType.rawValue, "coordinationDays": String(sub.coordinationDays),
            "moderationDays": String(sub.moderationDays), "keywords": sub.keywords.joined(separator: ", "),
        ]
        if sub.fastTrack { fields["fastTrack"] = "1" }
        for (key, value) in changes { fields[key] = value }
        return fields.filter { !$0.value.isEmpty || $0.key == "answerDays" }.map { ($0.key, $0.value) }.sorted { $0.0 < $1.0 }
    }

    func load(_ code: String, on app: Application) async throws -> Subcategory {
        try #require(try await Subcategory.query(on: app.db).filter(\.$code == code).with(\.$category).first())
    }

    @Test func anAdminChangesATermTheHistoryShowsItAndFiledAppealsKeepTheirs() async throws {
        try await withApp(demo: true) { app in
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            let territory = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-volgograd").first()?.id)
            let body = AppealBody(
                fields: ["subcategoryCode": Self.code, "territoryId": territory.uuidString, "text": "Телефон сломался, деньги не вернули."],
                answers: ["purchaseDate": "2026-10-01", "claimFiled": "да"])
            let filed = try await citizen.send(.POST, "/api/v1/appeals", json: body).content.decode(AppealDTO.self)

            let browser = try Browser(app)
            try await browser.signIn("admin@consumerdesk.test")
            let page = try await browser.get("/admin/classifier/items/\(Self.code)")
            #expect(page.status == .ok)
            #expect(page.body.string.contains("Дата покупки"), "the extra questions are listed")
            let before = try await load(Self.code, on: app)
            let saved = try await browser.post(
                "/admin/classifier/items/\(Self.code)",
                form: form(before, ["name": "Возврат денег за некачественный товар", "answerDays": "20"]))
            #expect(saved.status == .seeOther, "\(saved.body.string.prefix(600))")
            let after = try await load(Self.code, on: app)
            #expect(after.name == "Возврат денег за некачественный товар")
            #expect(after.answerDays == 20)
            #expect(after.version == before.version + 1)
            #expect(after.questions == before.questions, "questions are kept")
            let change = try #require(try await ClassifierChange.query(on: app.db).filter(\.$code == Self.code)
                .filter(\.$source == "form").first())
            #expect(change.action == .updated)
            let history = try await browser.get("/admin/classifier/items/\(Self.code)").body.string
            #expect(history.contains("название, срок ответа"))
            #expect(history.contains("форма"))

            let appeal = try await citizen.send(.GET, "/api/v1/appeals/\(filed.number)").content.decode(AppealDTO.self)
            #expect(appeal.subcategoryName == before.name)
            #expect(appeal.answerDueAt == filed.answerDueAt)
        }
    }

    @Test func badValuesAreRefusedPerFieldAndChangeNothing() async throws {
        try await withApp(demo: true) { app in
            let browser = try Browser(app)
            try await browser.signIn("admin@consumerdesk.test")
            let before = try await load(Self.code, on: app)
            let bad = try await browser.post(
                "/admin/classifier/items/\(Self.code)", form: form(before, ["answerDays": "много", "name": " ", "moderationDays": "0"]))
            #expect(bad.status == .unprocessableEntity)
            let html = bad.body.string
            #expect(html.contains("Изменения не сохранены"))
            #expect(html.contains("Ожидалось целое число"))
            #expect(html.contains("Пустое наименование"))
            #expect(html.contains("Срок должен быть от 1 до 60 дней"))
            let tooLong = try await browser.post("/admin/classifier/items/\(Self.code)", form: form(before, ["answerDays": "45"]))
            #expect(tooLong.status == .unprocessableEntity)
            #expect(tooLong.body.string.contains("30"))
            let unchanged = try await load(Self.code, on: app)
            #expect(unchanged.version == before.version)
            #expect(unchanged.answerDays == before.answerDays)
            #expect(try await ClassifierChange.query(on: app.db).filter(\.$source == "form").count() == 0)

            // A form opened before someone else saved the item is refused, not applied over their change.
            let stale = try await browser.post(
                "/admin/classifier/items/\(Self.code)", form: form(before, ["answerDays": "25"]) + [("version", String(before.version - 1))])
            #expect(stale.status == .conflict)
            #expect(stale.body.string.contains("уже изменил другой администратор"))
            #expect(try await load(Self.code, on: app).answerDays == before.answerDays)

            let moderator = try Browser(app)
            try await moderator.signIn("moderator@consumerdesk.test")
            #expect(try await moderator.get("/admin/classifier/items/\(Self.code)").status == .forbidden)
            #expect(try await moderator.post("/admin/classifier/items/\(Self.code)", form: form(before)).status == .forbidden)
        }
    }

    @Test func anAdminAddsRetiresAndRestoresASubcategory() async throws {
        try await withApp(demo: true) { app in
            let browser = try Browser(app)
            try await browser.signIn("admin@consumerdesk.test")
            let category = try await load(Self.code, on: app).category.code
            #expect(try await browser.get("/admin/classifier/items/new?category=\(category)").status == .ok)
            let fields: [(String, String)] = [
                ("code", "trade-gift-cards"), ("name", "Сгоревшие подарочные сертификаты"), ("categoryCode", category),
                ("kind", "appeal"), ("answerDays", "30"), ("dayType", "calendar"), ("coordinationDays", "1"),
                ("moderationDays", "1"), ("keywords", "сертификат, подарочная карта"),
            ]
            let taken = try await browser.post(
                "/admin/classifier/items", form: fields.map { $0.0 == "code" ? ("code", Self.code) : $0 })
            #expect(taken.status == .unprocessableEntity)
            #expect(taken.body.string.contains("Такой код уже есть в классификаторе."))

            let created = try await browser.post("/admin/classifier/items", form: fields)
            #expect(created.status == .seeOther, "\(created.body.string.prefix(600))")
            let added = try await load("trade-gift-cards", on: app)
            #expect(added.keywords == ["сертификат", "подарочная карта"])
            let chooser = try await browser.get("/appeals/new?q=" + Browser.encode("подарочный сертификат"))
            #expect(chooser.body.string.contains("trade-gift-cards"), "citizens find it by its keywords")

            let retired = try await browser.post("/admin/classifier/items/trade-gift-cards", form: fields + [("retired", "1")])
            #expect(retired.status == .seeOther)
            #expect(try await load("trade-gift-cards", on: app).isRetired)
            #expect(try await browser.get("/admin/classifier/items/trade-gift-cards").body.string.contains("Выведена из употребления"))

            let restored = try await browser.post("/admin/classifier/items/trade-gift-cards", form: fields)
            #expect(restored.status == .seeOther)
            #expect(try await load("trade-gift-cards", on: app).isRetired == false)
            let actions = try await ClassifierChange.query(on: app.db).filter(\.$code == "trade-gift-cards").sort(\.$at).all()
                .map(\.action)
            #expect(Set(actions) == [.created, .retired, .restored])
        }
    }
}
