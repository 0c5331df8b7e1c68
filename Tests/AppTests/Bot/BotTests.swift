import Fluent
import Foundation
import Testing
import Vapor

@testable import App
@testable import Domain

@Suite("Chat-bot", .serialized)
struct BotTests {
    static func ask(_ api: API, _ question: String) async throws -> BotService.Reply {
        try await api.send(.POST, "/api/v1/bot/ask", json: ["question": question]).content.decode(BotService.Reply.self)
    }

    @Test func answersFromTheFAQAndLearnsWhatItMissed() async throws {
        try await withApp(demo: true) { app in
            let api = try API(app)
            let known = try await Self.ask(api, "можно ли вернуть исправный смартфон, если он не понравился")
            #expect(known.kind == "answer", "\(known)")
            #expect(known.source?.url == "/faq/mozhno-li-vernut-telefon-nadlezhashchego-kachestva", "the answer cites its source")
            #expect(known.html?.contains("<") == true)

            let question = "почему соседская собака лает по ночам"
            let missed = try await Self.ask(api, question)
            #expect(missed.kind == "unsure" && missed.text.contains("не уверен") && missed.appealUrl == "/appeals/new")

            // A specialist sees it in the training queue and links it to an answer.
            let editor = try Browser(app)
            try await editor.signIn("editor@consumerdesk.test")
            let page = try await editor.get("/editor/bot")
            #expect(page.status == .ok && page.body.string.contains(question))
            let item = try #require(try await BotService.queue(on: app.db).first { $0.question == question })
            let slug = "mozhno-li-vernut-telefon-nadlezhashchego-kachestva"
            #expect(try await editor.post("/editor/bot/\(item.id)/teach", form: [("faq", slug)]).status == .seeOther)
            #expect(try await BotService.queue(on: app.db).contains { $0.id == item.id } == false)

            let learned = try await Self.ask(api, question)
            #expect(learned.kind == "answer" && learned.source?.url == "/faq/\(slug)")
            #expect(try await Self.ask(api, "соседская собака лает ночью").kind == "answer", "and its rephrasings")
            // Taught once: a second link of the same question is refused.
            #expect(try await editor.post("/editor/bot/\(item.id)/teach", form: [("faq", slug)]).status == .notFound)
        }
    }

    @Test func floodingIsThrottledWithAClearAnswer() async throws {
        try await withApp(demo: false) { app in
            // The production burst (20), but a refill too slow to matter however long 25 requests take
            // on a loaded machine (at 0.5/s, a slow run earned its 26th request back).
            app.botRateLimits = ClientRateLimits(capacity: 20, perSecond: 1.0 / 3600)
            let api = try API(app)
            var statuses: [HTTPResponseStatus] = []
            for index in 0..<25 {
                statuses.append(try await api.send(.POST, "/api/v1/bot/ask", json: ["question": "вопрос номер \(index)"]).status)
            }
            #expect(statuses.prefix(20).allSatisfy { $0 == .ok })
            let refused = try await api.send(.POST, "/api/v1/bot/ask", json: ["question": "ещё один"])
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers.first(name: .retryAfter) != nil)
        }
    }

    @Test func badInputAndAccessAreRefused() async throws {
        try await withApp(demo: true) { app in
            let api = try API(app)
            #expect(try await api.send(.POST, "/api/v1/bot/ask", json: ["question": "  "]).status == .unprocessableEntity)
            #expect(try await api.send(.POST, "/api/v1/bot/ask", json: ["question": String(repeating: "я", count: 4001)]).status == .unprocessableEntity)
            let script = try await Self.ask(api, "<script>alert(1)</script> что такое неустойка")
            #expect(!(script.html ?? "").contains("<script>"))
            let citizen = try Browser(app)
            try await citizen.signIn("citizen@consumerdesk.test")
            #expect(try await citizen.get("/editor/bot").status == .forbidden)
            #expect(try await api.send(.GET, "/api/v1/bot/queue").status == .unauthorized)
            let editor = try await API.signedIn(app, "editor@consumerdesk.test")
            #expect(try await editor.send(.GET, "/api/v1/bot/queue").status == .ok)
            let missing = try await editor.send(.POST, "/api/v1/bot/queue/\(UUID())/teach", json: ["faq": "mozhno-li-vernut-telefon-nadlezhashchego-kachestva"])
            #expect(missing.status == .notFound)
            #expect(try await editor.send(.POST, "/api/v1/bot/queue/\(UUID())/teach", json: ["faq": "no-such-entry"]).status == .unprocessableEntity)
        }
    }
}
