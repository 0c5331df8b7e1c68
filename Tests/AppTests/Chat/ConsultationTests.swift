import Fluent
import Foundation
import Testing
import Vapor

@testable import App
@testable import Domain

@Suite("Online consultation", .serialized, .timeLimit(.minutes(10)))
struct ConsultationTests {
    static func start(_ api: API, name: String = "Пётр", text: String? = nil, email: String? = nil) async throws -> ConsultationService.Started {
        var body = ["name": name]
        if let text { body["text"] = text }
        if let email { body["email"] = email }
        let response = try await api.send(.POST, "/api/v1/consultations/start", json: body)
        #expect(response.status == .created, "\(response.body.string)")
        return try response.content.decode(ConsultationService.Started.self)
    }

    static func online(_ app: Application) async throws -> API {
        let operatorAPI = try await API.signedIn(app, "operator@consumerdesk.test")
        let presence = try await operatorAPI.send(.POST, "/api/v1/operator/presence", json: ["status": "online"])
        #expect(presence.status == .ok, "\(presence.body.string)")
        return operatorAPI
    }

    @Test func anOperatorGreetsByNameAndTheyChatInOrder() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { workingDay(hour: 10) }
            let operatorAPI = try await Self.online(app)
            try await withServer(app) { port in
                let citizen = try API(app)
                let chat = try await Self.start(citizen, text: "Здравствуйте, мне продали просроченный йогурт")
                #expect(chat.state == .active && chat.operatorName == "Татьяна")

                let socket = try await TestSocket.connect(port: port, on: app)
                let subscribed = try await socket.subscribe(chat.id, token: chat.token)
                #expect(subscribed.type == "subscribed" && subscribed.state == "active")
                let history = try await socket.messages(chat.id, until: { $0.authorKind == "operator" })
                #expect(history.map(\.authorKind) == ["citizen", "system", "operator"])
                #expect(history.last?.text == "Здравствуйте! Меня зовут Татьяна. Чем могу Вам помочь?")
                #expect(history.map(\.seq) == [1, 2, 3])

                // The operator, over a socket with their token.
                var headers = HTTPHeaders()
                headers.bearerAuthorization = BearerAuthorization(token: operatorAPI.token!)
                let console = try await TestSocket.connect(port: port, headers: headers, on: app)
                #expect(try await console.subscribe(chat.id).type == "subscribed")
                _ = try await console.messages(chat.id, until: { $0.seq == 3 })
                for index in 1...5 { try await console.say("Ответ \(index)", in: chat.id, ref: "r\(index)") }
                let acks = try await (1...5).asyncMap { index in try await console.next { $0.type == "ack" && $0.ref == "r\(index)" } }
                #expect(acks.map(\.seq) == [4, 5, 6, 7, 8])
                let answers = try await socket.messages(chat.id, until: { $0.text == "Ответ 5" })
                #expect(answers.map(\.text) == (1...5).map { "Ответ \($0)" }, "in order, once each")
                #expect(answers.allSatisfy { $0.authorName == "Татьяна" && $0.authorKind == "operator" })

                // HTML stays text.
                try await socket.say("<script>alert(1)</script> <b>жирный</b>", in: chat.id)
                let html = try await console.messages(chat.id, until: { $0.authorKind == "citizen" })
                #expect(html.last?.text == "<script>alert(1)</script> <b>жирный</b>")
                try await socket.close()
                try await console.close()
            }
        }
    }

    @Test func aDroppedConnectionResumesWithoutLossOrRepeats() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { workingDay(hour: 11) }
            let operatorAPI = try await Self.online(app)
            try await withServer(app) { port in
                let chat = try await Self.start(try API(app))
                let first = try await TestSocket.connect(port: port, on: app)
                _ = try await first.subscribe(chat.id, token: chat.token)
                let seen = try await first.messages(chat.id, until: { $0.authorKind == "operator" })
                let lastSeen = try #require(seen.last?.seq)
                try await first.close()

                // While the citizen is away, the operator writes.
                var headers = HTTPHeaders()
                headers.bearerAuthorization = BearerAuthorization(token: operatorAPI.token!)
                let console = try await TestSocket.connect(port: port, headers: headers, on: app)
                _ = try await console.subscribe(chat.id)
                for index in 1...4 { try await console.say("Пока вас не было \(index)", in: chat.id, ref: "m\(index)") }
                _ = try await console.next { $0.type == "ack" && $0.ref == "m4" }

                let again = try await TestSocket.connect(port: port, on: app)
                _ = try await again.subscribe(chat.id, after: lastSeen, token: chat.token)
                try await console.say("Уже после", in: chat.id, ref: "m5")
                let resumed = try await again.messages(chat.id, until: { $0.text == "Уже после" })
                #expect(resumed.map(\.seq) == Array((lastSeen + 1)...(lastSeen + 5)))
                #expect(resumed.first?.text == "Пока вас не было 1")
                try await Task.sleep(for: .milliseconds(200))
                #expect(again.mailbox.all().filter { $0.type == "message" }.isEmpty, "nothing twice")
                try await again.close()
                try await console.close()
            }
        }
    }

    @Test func afterHoursTheBotAnswersAndAMessageBecomesAnAppeal() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { workingDay(hour: 21) }
            _ = try await Self.online(app)
            try await withServer(app) { port in
                let citizen = try API(app)
                let chat = try await Self.start(citizen, name: "Ирина", email: "irina@example.org")
                #expect(chat.state == .bot)
                let socket = try await TestSocket.connect(port: port, on: app)
                _ = try await socket.subscribe(chat.id, token: chat.token)
                let greeting = try await socket.next { $0.type == "message" && $0.authorKind == "bot" }
                #expect(greeting.text?.contains("с 9:00 до 18:00") == true)
                try await socket.say("можно ли вернуть исправный смартфон, если он не понравился", in: chat.id)
                let answer = try await socket.next { $0.type == "message" && $0.authorKind == "bot" }
                #expect(answer.text?.contains("Источник:") == true, "\(answer.text ?? "")")

                // Asking for a person after hours: the bot says when operators work.
                let asked = try await citizen.send(.POST, "/api/v1/consultations/\(chat.id)/operator", json: ["token": chat.token])
                #expect(try asked.content.decode(ConsultationController.StateReply.self).state == .bot)

                // «Оставить сообщение»: the card with the chat's words becomes an appeal with channel chat.
                let wrong = try await citizen.send(
                    .POST, "/api/v1/consultations/\(chat.id)/appeal", json: ["token": chat.token, "subcategoryCode": "no-such"])
                #expect(wrong.status == .unprocessableEntity || wrong.status == .badRequest, "\(wrong.body.string)")
                let form = try await citizen.send(.GET, "/api/v1/consultations/\(chat.id)/appeal-form", headers: ["X-Chat-Token": chat.token])
                    .content.decode(ConsultationController.AppealForm.self)
                #expect(form.text.contains("смартфон"))
                let topic = try #require(form.topics.first { $0.questions.allSatisfy { !$0.required } })
                let filed = try await citizen.send(
                    .POST, "/api/v1/consultations/\(chat.id)/appeal",
                    json: [
                        "token": chat.token, "subcategoryCode": topic.code, "surname": "Орлова", "name": "Ирина", "email": "irina@example.org",
                        "consent": "1", "territoryId": try #require(form.territories.first).id.uuidString,
                    ])
                #expect(filed.status == .created, "\(filed.body.string)")
                let number = try filed.content.decode(ConsultationController.AppealReply.self).number
                let appeal = try #require(try await Appeal.query(on: app.db).filter(\.$number == number).first())
                #expect(appeal.channel == .chat)
                #expect(appeal.text.contains("смартфон"), "the citizen's words")
                let record = try #require(try await ConsultationRecord.find(chat.id, on: app.db))
                #expect(record.state == .closed && record.outcome == .appealCreated && record.appealID == appeal.id)
                // Nothing half-saved by the refused attempt.
                #expect(try await Appeal.query(on: app.db).filter(\.$channel == .chat).count() == 1)

                // A copy of the conversation by email.
                let mailed = try await citizen.send(.POST, "/api/v1/consultations/\(chat.id)/transcript", json: ["token": chat.token])
                #expect(mailed.status == .accepted)
                let mail = try #require(try await OutboxMessage.query(on: app.db).filter(\.$recipient == "irina@example.org")
                    .filter(\.$subject == ChatStrings.transcriptSubject).first())
                #expect(mail.bodyText.contains("Ирина: можно ли вернуть исправный смартфон"))
                try await socket.close()
            }
        }
    }

    @Test func theQueueCapacityAndTransferUseFairLoad() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { workingDay(hour: 12) }
            let operatorAPI = try await Self.online(app)
            _ = try await operatorAPI.send(.POST, "/api/v1/operator/presence", json: ConsultationController.PresenceInput(status: "online", capacity: 1))
            let first = try await Self.start(try API(app))
            #expect(first.state == .active)
            let second = try await Self.start(try API(app))
            #expect(second.state == .waiting, "the only operator is full")
            let state = try await operatorAPI.send(.GET, "/api/v1/operator/state").content.decode(ConsultationController.ConsoleState.self)
            #expect(state.queue.map(\.id) == [second.id] && state.mine.map(\.id) == [first.id])

            // Closing the first frees room: the waiting one is assigned at once.
            let closed = try await operatorAPI.send(.POST, "/api/v1/operator/chats/\(first.id)/close", json: ["outcome": "answered"])
            #expect(closed.status == .noContent)
            #expect(try await ConsultationRecord.find(second.id, on: app.db)?.state == .active)
            #expect(try await ConsultationRecord.find(first.id, on: app.db)?.outcome == .answered)

            // A citizen cannot close someone else's chat; an operator not on it cannot transfer it.
            let stranger = try API(app)
            #expect(try await stranger.send(.POST, "/api/v1/consultations/\(second.id)/close", json: ["token": "x"]).status == .notFound)
            let citizenAPI = try await API.signedIn(app, "citizen@consumerdesk.test")
            #expect(try await citizenAPI.send(.GET, "/api/v1/operator/state").status == .forbidden)
        }
    }
}

extension Sequence where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
