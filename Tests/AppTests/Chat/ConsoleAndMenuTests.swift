import Fluent
import Foundation
import Testing
import Vapor

@testable import App
@testable import Domain

@Suite("Operator console and the bot's menu", .serialized, .timeLimit(.minutes(10)))
struct ConsoleAndMenuTests {
    /// A second operator in the city administration, signed in to the API.
    static func secondOperator(_ app: Application) async throws -> (id: UUID, api: API) {
        let city = try #require(try await Organisation.query(on: app.db).filter(\.$shortName == "Администрация Волгограда").first()?.id)
        let user = User(
            name: PersonName(surname: "Белова", name: "Ксения", patronymic: nil), email: "ksenia@consumerdesk.test", phone: nil,
            passwordHash: try await app.password.async.hash("demo2026"))
        user.emailConfirmedAt = Date()
        try await user.create(on: app.db)
        let id = try user.requireID()
        try await RoleGrant(userID: id, grant: Grant(role: .operator, organisationID: city), grantedBy: nil).create(on: app.db)
        return (id, try await API.signedIn(app, "ksenia@consumerdesk.test"))
    }

    @Test func chatsGoToTheLeastLoadedOperatorAndMoveByTransfer() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { workingDay(hour: 10) }
            let tatiana = try await ConsultationTests.online(app)
            let ksenia = try await Self.secondOperator(app)
            _ = try await ksenia.api.send(.POST, "/api/v1/operator/presence", json: ["status": "online"])
            var names: [String?] = []
            for _ in 0..<4 { names.append(try await ConsultationTests.start(try API(app)).operatorName) }
            // Fewest contacts today first: the two share the four.
            #expect(names.filter { $0 == "Татьяна" }.count == 2 && names.filter { $0 == "Ксения" }.count == 2, "\(names)")

            let state = try await tatiana.send(.GET, "/api/v1/operator/state").content.decode(ConsultationController.ConsoleState.self)
            let chat = try #require(state.mine.first)
            #expect(state.colleagues.map(\.name) == ["Ксения Белова"])
            // Transfer to a colleague: she greets by name; the one who gave it away may no longer write.
            let moved = try await tatiana.send(.POST, "/api/v1/operator/chats/\(chat.id)/transfer", json: ["to": ksenia.id.uuidString])
            #expect(moved.status == .noContent, "\(moved.body.string)")
            let record = try #require(try await ConsultationRecord.find(chat.id, on: app.db))
            #expect(record.operatorID == ksenia.id)
            let last = try await ChatMessageRecord.query(on: app.db).filter(\.$topicID == chat.id).sort(\.$seq, .descending).first()
            #expect(last?.body == "Здравствуйте! Меня зовут Ксения. Чем могу Вам помочь?")
            #expect(try await tatiana.send(.POST, "/api/v1/operator/chats/\(chat.id)/transfer", json: ["to": ksenia.id.uuidString]).status == .forbidden)
            #expect(try await tatiana.send(.POST, "/api/v1/operator/chats/\(chat.id)/close", json: ["outcome": "answered"]).status == .forbidden)
            #expect(try await ksenia.api.send(.POST, "/api/v1/operator/chats/\(chat.id)/close", json: ["outcome": "nonsense"]).status == .unprocessableEntity)

            // Quick answers come from the FAQ.
            let quick = try await ksenia.api.send(.GET, "/api/v1/operator/quick?q=\("вернуть смартфон".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
                .content.decode([ConsultationController.QuickAnswer].self)
            #expect(quick.first?.url.hasPrefix("/faq/") == true)
        }
    }

    @Test func theOperatorTurnsAChatIntoAnAppealFromTheHotlineForm() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { workingDay(hour: 15) }
            _ = try await ConsultationTests.online(app)
            let chat = try await ConsultationTests.start(try API(app), name: "Пётр", text: "В магазине отказались менять бракованный чайник", email: "petr@example.org")
            let browser = try Browser(app)
            try await browser.signIn("operator@consumerdesk.test")
            let console = try await browser.get("/operator")
            #expect(console.status == .ok && console.body.string.contains("Онлайн-консультации"))
            let redirect = try await browser.get("/operator/chats/\(chat.id)/appeal")
            #expect(redirect.location == "/appeals/new?onBehalf=1&chat=\(chat.id.uuidString)")
            let choose = try await browser.get(try #require(redirect.location))
            #expect(choose.body.string.contains("chat=\(chat.id.uuidString)"))
            let code = "trade-refund-defective"
            let form = try await browser.get("/appeals/new?subcategory=\(code)&onBehalf=1&chat=\(chat.id.uuidString)")
            let html = form.body.string
            #expect(html.contains("id=\"chat-attached\"") && html.contains("value=\"Пётр\"") && html.contains("бракованный чайник"))
            let territory = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-volgograd").first()?.id)
            let filed = try await browser.post(
                "/appeals",
                form: [
                    ("subcategoryCode", code), ("chat", chat.id.uuidString), ("surname", "Петров"), ("name", "Пётр"), ("email", "petr@example.org"),
                    ("territoryId", territory.uuidString), ("text", "В магазине отказались менять бракованный чайник"),
                    ("answers[purchaseDate]", "2026-11-01"), ("answers[claimFiled]", "да"), ("consent", "1"),
                ])
            #expect(filed.status == .seeOther && filed.location == "/operator", "\(filed.body.string.prefix(400))")
            let appeal = try #require(try await Appeal.query(on: app.db).filter(\.$channel == .chat).first())
            let record = try #require(try await ConsultationRecord.find(chat.id, on: app.db))
            #expect(record.appealID == appeal.id && record.outcome == .appealCreated && record.state == .closed)
            let told = try await ChatMessageRecord.query(on: app.db).filter(\.$topicID == chat.id).filter(\.$authorKind == "system").all()
            #expect(told.contains { $0.body == "По переписке зарегистрировано обращение № \(appeal.number)." })
            // A citizen cannot file on a chat's behalf.
            let citizen = try Browser(app)
            try await citizen.signIn("citizen@consumerdesk.test")
            #expect(try await citizen.get("/appeals/new?onBehalf=1&chat=\(chat.id.uuidString)").status == .forbidden)
            // Nor an admin (who files on behalf, but does not answer consultations), and a chat becomes one appeal only.
            let admin = try Browser(app)
            try await admin.signIn("admin@consumerdesk.test")
            let other = try await ConsultationTests.start(try API(app), name: "Ольга", text: "Не вернули деньги за путёвку", email: "olga@example.org")
            #expect(try await admin.get("/appeals/new?subcategory=\(code)&onBehalf=1&chat=\(other.id.uuidString)").status == .forbidden)
            #expect(try await admin.post("/appeals", form: [("subcategoryCode", code), ("chat", other.id.uuidString)]).status == .forbidden)
            #expect(try await browser.get("/appeals/new?subcategory=\(code)&onBehalf=1&chat=\(chat.id.uuidString)").status == .conflict)
        }
    }

    @Test func specialistsEditTheMenuAndSynonyms() async throws {
        try await withApp(demo: true) { app in
            let tree = try await API(app).send(.GET, "/api/v1/bot/menu").content.decode(BotMenuService.Tree.self)
            #expect(tree.items.count >= 9, "a step per sphere, made from the FAQ")
            let sphere = try #require(tree.items.first)
            #expect(sphere.children.contains { $0.url?.hasPrefix("/faq/") == true && $0.answer?.isEmpty == false })
            #expect(sphere.children.contains { $0.url == "/claims" })

            let editor = try Browser(app)
            try await editor.signIn("editor@consumerdesk.test")
            #expect(try await editor.get("/editor/bot/menu").status == .ok)
            let added = try await editor.post(
                "/editor/bot/menu", form: [("parentId", sphere.id.uuidString), ("title", "Куда жаловаться на шум"), ("answer", "В администрацию района."), ("url", "/kb")])
            #expect(added.status == .seeOther)
            let item = try #require(try await BotMenuItem.query(on: app.db).filter(\.$title == "Куда жаловаться на шум").first())
            // Bad input: no title, a script link, a cycle, too deep — refused, nothing saved.
            let before = try await BotMenuItem.query(on: app.db).count()
            #expect(try await editor.post("/editor/bot/menu", form: [("title", " ")]).status == .unprocessableEntity)
            #expect(try await editor.post("/editor/bot/menu", form: [("title", "x"), ("url", "javascript:alert(1)")]).status == .unprocessableEntity)
            #expect(
                try await editor.post("/editor/bot/menu/\(sphere.id)", form: [("title", sphere.title), ("parentId", item.id!.uuidString)]).status
                    == .unprocessableEntity)
            #expect(try await BotMenuItem.query(on: app.db).count() == before)
            #expect(try await editor.post("/editor/bot/menu", form: [("title", "Третий уровень"), ("parentId", item.id!.uuidString)]).status == .seeOther)
            let third = try #require(try await BotMenuItem.query(on: app.db).filter(\.$title == "Третий уровень").first())
            #expect(try await editor.post("/editor/bot/menu", form: [("title", "Четвёртый"), ("parentId", third.id!.uuidString)]).status == .unprocessableEntity)
            #expect(try await editor.post("/editor/bot/menu/\(item.id!)/delete", form: []).status == .seeOther)
            #expect(try await BotMenuItem.find(item.id, on: app.db) == nil)

            // Synonyms make the bot sure of a question it was unsure of.
            let question = "исправная мобила не подошла можно вернуть"
            #expect(try await BotTests.ask(try API(app), question).kind == "unsure")
            #expect(try await editor.post("/editor/bot/synonyms", form: [("words", "смартфон, мобила")]).status == .seeOther)
            #expect(try await editor.post("/editor/bot/synonyms", form: [("words", "одно")]).status == .unprocessableEntity)
            let sure = try await BotTests.ask(try API(app), question)
            #expect(sure.kind == "answer", "\(sure)")
            let group = try #require(try await BotMenuService.synonyms(on: app.db).first { $0.words.contains("мобила") })
            #expect(try await editor.post("/editor/bot/synonyms/\(group.id)/delete", form: []).status == .seeOther)

            let citizen = try Browser(app)
            try await citizen.signIn("citizen@consumerdesk.test")
            #expect(try await citizen.get("/editor/bot/menu").status == .forbidden)
            #expect(try await citizen.post("/editor/bot/synonyms", form: [("words", "а, б")]).status == .forbidden)
        }
    }
}
