import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

@Suite("Appeal pages", .serialized)
struct AppealPagesTests {
    @Test func aCitizenFindsATopicFilesTheFormAndFollowsTheAppeal() async throws {
        try await withApp(demo: true) { app in
            let browser = try Browser(app)
            try await browser.signIn("citizen@consumerdesk.test")
            let search = try await browser.get("/appeals/new?q=" + Browser.encode("вернуть деньги за телефон"))
            #expect(search.status == .ok)
            #expect(search.body.string.contains("trade-refund-defective"))
            // Inflected words and «вернуть» for «возврат» find the same topic; junk answers without error.
            let inflected = try await browser.get("/appeals/new?q=" + Browser.encode("возврата телефонов"))
            #expect(inflected.body.string.contains("trade-refund-defective"))
            #expect(try await browser.get("/appeals/new?q=" + Browser.encode(String(repeating: "!?", count: 5000))).status == .ok)

            let form = try await browser.get("/appeals/new?subcategory=trade-refund-defective")
            #expect(form.status == .ok)
            let html = form.body.string
            #expect(html.contains("Дата покупки"))
            #expect(html.contains("value=\"Иванова\""), "the applicant comes from the account")

            let territory = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-volgograd").first()?.id)
            let bad = try await browser.post(
                "/appeals", form: [("subcategoryCode", "trade-refund-defective"), ("text", ""), ("surname", "Иванова"),
                                   ("name", "Мария"), ("email", "citizen@consumerdesk.test"), ("birthDate", "2999-01-01")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.string.contains("Заполните это поле."))
            #expect(bad.body.string.contains("Дата не может быть в будущем."))
            #expect(bad.body.string.contains("Нужно согласие на обработку персональных данных."))
            #expect(try await Appeal.query(on: app.db).count() == 0)

            let good = try await browser.post(
                "/appeals",
                form: [("subcategoryCode", "trade-refund-defective"), ("text", "Телефон сломался через неделю, продавец отказал."),
                       ("territoryId", territory.uuidString), ("surname", "Иванова"), ("name", "Мария"),
                       ("email", "citizen@consumerdesk.test"), ("answers[purchaseDate]", "2026-10-01"),
                       ("answers[claimFiled]", "да"), ("consent", "1")])
            #expect(good.status == .seeOther)
            let location = try #require(good.location)
            let card = try await browser.get(location)
            #expect(card.status == .ok)
            #expect(card.body.string.contains("Обращение зарегистрировано"))
            #expect(card.body.string.contains("На модерации"))
            let appeal = try #require(try await Appeal.query(on: app.db).first())
            #expect(appeal.channel == .portal)
            #expect(appeal.answers["purchaseDate"] == "2026-10-01")
            let list = try await browser.get("/my/appeals")
            #expect(list.body.string.contains(appeal.number))

            // Nobody else's card.
            let stranger = try Browser(app)
            try await stranger.signIn("executor@consumerdesk.test")
            #expect(try await stranger.get(location).status == .notFound)
        }
    }
}

@Suite("Moderation pages", .serialized)
struct ModerationPagesTests {
    @Test func theModeratorSeesTheQueueAndRecategorisesFromTheCard() async throws {
        try await withApp(demo: true) { app in
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            let territory = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-volgograd").first()?.id)
            let created = try await citizen.send(
                .POST, "/api/v1/appeals",
                json: AppealBody(
                    fields: ["subcategoryCode": "trade-refund-defective", "territoryId": territory.uuidString,
                             "text": "Коллекторы звонят по ночам."],
                    answers: ["purchaseDate": "2026-10-01", "claimFiled": "нет"]))
            let number = try created.content.decode(AppealDTO.self).number

            let moderator = try Browser(app)
            try await moderator.signIn("moderator@consumerdesk.test")
            let queue = try await moderator.get("/moderation")
            #expect(queue.status == .ok)
            #expect(queue.body.string.contains(number))
            #expect(try await moderator.get("/moderation/\(number)").status == .ok)
            let bad = try await moderator.post("/moderation/\(number)", form: [("action", "reject"), ("reason", "")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.string.contains("Заполните это поле."))
            let moved = try await moderator.post(
                "/moderation/\(number)", form: [("action", "recategorise"), ("subcategoryCode", "financial-services-collectors")])
            #expect(moved.status == .seeOther)
            let appeal = try #require(try await Appeal.query(on: app.db).filter(\.$number == number).first())
            #expect(appeal.subcategoryCode == "financial-services-collectors")

            let executor = try Browser(app)
            try await executor.signIn("executor@consumerdesk.test")
            #expect(try await executor.get("/moderation").status == .forbidden)
        }
    }
}

@Suite("Operator pages", .serialized)
struct OperatorPagesTests {
    @Test func anOperatorRegistersACallThroughTheFormAndCitizensCannot() async throws {
        try await withApp(demo: true) { app in
            let territory = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-volgograd").first()?.id)
            let form: [(String, String)] = [
                ("subcategoryCode", "trade-refund-defective"), ("channel", "reception"),
                ("text", "На приёме: магазин не возвращает деньги за брак."), ("territoryId", territory.uuidString),
                ("surname", "Сергеев"), ("name", "Олег"), ("phone", "8 917 000 11 22"),
                ("answers[purchaseDate]", "2026-10-01"), ("answers[claimFiled]", "нет"), ("consent", "1"),
            ]
            let citizen = try Browser(app)
            try await citizen.signIn("citizen@consumerdesk.test")
            #expect(try await citizen.get("/appeals/new?onBehalf=1").status == .forbidden)
            #expect(try await citizen.post("/appeals", form: form).status == .forbidden)

            let operatorBrowser = try Browser(app)
            try await operatorBrowser.signIn("operator@consumerdesk.test")
            let page = try await operatorBrowser.get("/appeals/new?onBehalf=1&subcategory=trade-refund-defective")
            #expect(page.status == .ok)
            #expect(page.body.string.contains("Личный приём"))
            #expect(!page.body.string.contains("value=\"Новикова\""), "the caller's data is not the operator's")
            let response = try await operatorBrowser.post("/appeals", form: form)
            #expect(response.status == .seeOther)
            #expect(response.location == "/appeals/new?onBehalf=1")
            let appeal = try #require(try await Appeal.query(on: app.db).first())
            #expect(appeal.channel == .reception)
            #expect(appeal.userID == nil)
            #expect(appeal.registeredBy != nil)
            #expect(appeal.phone == "+79170001122")
        }
    }
}
