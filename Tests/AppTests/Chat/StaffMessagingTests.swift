import Fluent
import Foundation
import Testing
import Vapor

@testable import App
@testable import Domain

@Suite("Staff messaging and the socket's bad input", .serialized, .timeLimit(.minutes(10)))
struct StaffMessagingTests {
    static func organisation(_ shortName: String, _ app: Application) async throws -> UUID {
        try #require(try await Organisation.query(on: app.db).filter(\.$shortName == shortName).first()?.id)
    }

    static func socket(_ api: API, port: Int, app: Application) async throws -> TestSocket {
        var headers = HTTPHeaders()
        headers.bearerAuthorization = BearerAuthorization(token: api.token!)
        return try await TestSocket.connect(port: port, headers: headers, on: app)
    }

    @Test func staffOfADeactivatedOrganisationLoseStaffMessaging() async throws {
        try await withApp(demo: true) { app in
            let department = try await Self.organisation("ТО в г. Волжском", app)
            let coordinator = try await API.signedIn(app, "coordinator@consumerdesk.test")
            #expect(try await coordinator.send(.GET, "/api/v1/messages/channels").status == .ok)
            try await Organisation.query(on: app.db).filter(\.$id == department).set(\.$isActive, to: false).update()
            #expect(try await coordinator.send(.GET, "/api/v1/messages/channels").status == .forbidden)
            #expect(try await coordinator.send(.GET, "/api/v1/messages/search?q=план").status == .forbidden)
            let browser = try Browser(app)
            try await browser.signIn("coordinator@consumerdesk.test")
            #expect(try await browser.get("/messages").status == .forbidden)
        }
    }

    @Test func agenciesTalkInRealTimeWithUnreadCountsAndSearchMembersOnly() async throws {
        try await withApp(demo: true) { app in
            let department = try await Self.organisation("ТО в г. Волжском", app)
            let city = try await Self.organisation("Администрация Волгограда", app)
            let coordinator = try await API.signedIn(app, "coordinator@consumerdesk.test")
            let cityOperator = try await API.signedIn(app, "operator@consumerdesk.test")
            let editor = try await API.signedIn(app, "editor@consumerdesk.test")
            let created = try await coordinator.send(
                .POST, "/api/v1/messages/channels",
                json: StaffMessagesController.ChannelInput(
                    title: "ТО в г. Волжском ↔ Администрация Волгограда", organisations: [department.uuidString, city.uuidString]))
            #expect(created.status == .created, "\(created.body.string)")
            let channel = try created.content.decode(StaffMessagesController.Created.self).id

            // One organisation is not a channel between organisations; an outsider cannot open one for others.
            let lonely = try await coordinator.send(
                .POST, "/api/v1/messages/channels", json: StaffMessagesController.ChannelInput(title: "Один", organisations: [department.uuidString]))
            #expect(lonely.status == .unprocessableEntity)
            let outsider = try await editor.send(
                .POST, "/api/v1/messages/channels",
                json: StaffMessagesController.ChannelInput(title: "Чужой", organisations: [department.uuidString, city.uuidString]))
            #expect(outsider.status == .forbidden)

            try await withServer(app) { port in
                let asking = try await Self.socket(coordinator, port: port, app: app)
                let answering = try await Self.socket(cityOperator, port: port, app: app)
                #expect(try await asking.subscribe(channel).type == "subscribed")
                #expect(try await answering.subscribe(channel).type == "subscribed")
                // Whoever is not a member is refused, and learns nothing (the same answer as for no channel).
                let spy = try await Self.socket(editor, port: port, app: app)
                let refused = try await spy.subscribe(channel)
                #expect(refused.type == "error" && refused.code == "forbidden")
                let nowhere = try await spy.subscribe(UUID())
                #expect(nowhere.code == "forbidden" && nowhere.reason == refused.reason)
                try await spy.say("подслушал", in: channel)
                #expect(try await spy.next { $0.type == "error" }.code == "forbidden")

                try await asking.say("Уточните название ИП по адресу ул. Мира, 5", in: channel)
                let question = try await answering.next { $0.type == "message" && $0.topic == channel }
                #expect(question.authorName == "Дмитрий Морозов" && question.seq == 1)
                try await answering.say("ИП Сидоров А. В., ИНН 344403456789", in: channel)
                let answer = try await asking.next { $0.type == "message" && $0.authorKind == "staff" && $0.seq == 2 }
                #expect(answer.text == "ИП Сидоров А. В., ИНН 344403456789")

                // Unread: the operator has read nothing yet; reading up to 2 clears it.
                let before = try await cityOperator.send(.GET, "/api/v1/messages/channels").content
                    .decode(StaffMessagesController.ChannelList.self)
                #expect(before.channels.first { $0.id == channel }?.unread == 2)
                try await answering.send(["type": "read", "topic": channel.uuidString, "seq": 2])
                try await answering.send(["type": "ping"])
                _ = try await answering.next { $0.type == "pong" }
                let after = try await cityOperator.send(.GET, "/api/v1/messages/channels").content
                    .decode(StaffMessagesController.ChannelList.self)
                #expect(after.channels.first { $0.id == channel }?.unread == 0)
                #expect(
                    try await editor.send(.GET, "/api/v1/messages/channels").content.decode(StaffMessagesController.ChannelList.self)
                        .channels.contains { $0.id == channel } == false)

                // Search finds Russian words whatever the case, only in one's own channels.
                let found = try await coordinator.send(.GET, "/api/v1/messages/search?q=\("сидоров".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
                    .content.decode(StaffMessagesController.SearchResult.self)
                #expect(found.results.map(\.message.seq) == [2])
                let hidden = try await editor.send(.GET, "/api/v1/messages/search?q=%D0%A1%D0%B8%D0%B4%D0%BE%D1%80%D0%BE%D0%B2")
                    .content.decode(StaffMessagesController.SearchResult.self)
                #expect(hidden.results.isEmpty)
                #expect(try await editor.send(.GET, "/api/v1/messages/channels/\(channel)/messages").status == .notFound)
                for socket in [asking, answering, spy] { try await socket.close() }
            }
        }
    }

    @Test func aMessageSentAgainWithItsRefIsStoredOnce() async throws {
        try await withApp(demo: true) { app in
            let department = try await Self.organisation("ТО в г. Волжском", app)
            let city = try await Self.organisation("Администрация Волгограда", app)
            let coordinator = try await API.signedIn(app, "coordinator@consumerdesk.test")
            let cityOperator = try await API.signedIn(app, "operator@consumerdesk.test")
            let created = try await coordinator.send(
                .POST, "/api/v1/messages/channels",
                json: StaffMessagesController.ChannelInput(title: "Повторы", organisations: [department.uuidString, city.uuidString]),
                headers: ["Idempotency-Key": "channel-1"])
            let channel = try created.content.decode(StaffMessagesController.Created.self).id
            let again = try await coordinator.send(
                .POST, "/api/v1/messages/channels",
                json: StaffMessagesController.ChannelInput(title: "Повторы", organisations: [department.uuidString, city.uuidString]),
                headers: ["Idempotency-Key": "channel-1"])
            #expect(try again.content.decode(StaffMessagesController.Created.self).id == channel, "one channel for a retried call")

            try await withServer(app) { port in
                let first = try await Self.socket(coordinator, port: port, app: app)
                #expect(try await first.subscribe(channel).type == "subscribed")
                try await first.say("Запрос по ИП", in: channel, ref: "m-1")
                #expect(try await first.next { $0.type == "ack" && $0.ref == "m-1" }.seq == 1)
                try await first.close()

                // The ack was lost with the connection: the client sends the same message again.
                let second = try await Self.socket(coordinator, port: port, app: app)
                #expect(try await second.subscribe(channel, after: 0).type == "subscribed")
                try await second.say("Запрос по ИП", in: channel, ref: "m-1")
                #expect(try await second.next { $0.type == "ack" && $0.ref == "m-1" }.seq == 1, "the first message's number")
                // The same ref for another text is a mistake, refused rather than taken for a resend.
                try await second.say("Совсем другой текст", in: channel, ref: "m-1")
                #expect(try await second.next { $0.type == "error" && $0.ref == "m-1" }.code == "invalid_field")
                // Another person's message with the same ref is another message.
                let other = try await Self.socket(cityOperator, port: port, app: app)
                #expect(try await other.subscribe(channel).type == "subscribed")
                try await other.say("Ответ", in: channel, ref: "m-1")
                #expect(try await other.next { $0.type == "ack" && $0.ref == "m-1" }.seq == 2)
            }
            #expect(try await ChatMessageRecord.query(on: app.db).filter(\.$topicID == channel).count() == 2)
        }
    }

    @Test func directMessagesAndAppealThreads() async throws {
        try await withApp(demo: true) { app in
            let coordinator = try await API.signedIn(app, "coordinator@consumerdesk.test")
            let executor = try await API.signedIn(app, "executor@consumerdesk.test")
            let executorID = try #require(try await User.query(on: app.db).filter(\.$email == "executor@consumerdesk.test").first()?.id)
            let direct = try await coordinator.send(.POST, "/api/v1/messages/direct", json: ["with": executorID.uuidString])
            #expect(direct.status == .ok, "\(direct.body.string)")
            let id = try direct.content.decode(StaffMessagesController.Created.self).id
            // The same pair has one channel, whoever opens it.
            let coordinatorID = try #require(try await User.query(on: app.db).filter(\.$email == "coordinator@consumerdesk.test").first()?.id)
            let back = try await executor.send(.POST, "/api/v1/messages/direct", json: ["with": coordinatorID.uuidString])
            #expect(try back.content.decode(StaffMessagesController.Created.self).id == id)
            let citizenID = try #require(try await User.query(on: app.db).filter(\.$email == "citizen@consumerdesk.test").first()?.id)
            #expect(try await coordinator.send(.POST, "/api/v1/messages/direct", json: ["with": citizenID.uuidString]).status == .unprocessableEntity)

            // An appeal's thread: whoever may see the appeal .
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            var body = try await IntakeTests().body(app)
            body.fields["territoryId"] = try await IntakeTests().territory("vlg-volzhsky", on: app).uuidString
            let filed = try await citizen.send(.POST, "/api/v1/appeals", json: body)
            #expect(filed.status == .created, "\(filed.body.string)")
            let appeal = try #require(try await Appeal.query(on: app.db).first())
            // Wherever routing sent it, the moderator hands it to the department in Volzhsky.
            appeal.$executorOrganisation.id = try await Self.organisation("ТО в г. Волжском", app)
            try await appeal.save(on: app.db)
            let thread = try await coordinator.send(.POST, "/api/v1/messages/appeal/\(appeal.number)")
            #expect(thread.status == .ok)
            let threadID = try thread.content.decode(StaffMessagesController.Created.self).id
            let again = try await executor.send(.POST, "/api/v1/messages/appeal/\(appeal.number)")
            #expect(try again.content.decode(StaffMessagesController.Created.self).id == threadID, "one thread per appeal")
            let listed = try await coordinator.send(.GET, "/api/v1/messages/channels").content.decode(StaffMessagesController.ChannelList.self)
            #expect(listed.channels.first { $0.id == threadID }?.appealNumber == appeal.number)
            let cityOperator = try await API.signedIn(app, "operator@consumerdesk.test")
            #expect(try await cityOperator.send(.POST, "/api/v1/messages/appeal/\(appeal.number)").status == .forbidden)
            #expect(try await cityOperator.send(.GET, "/api/v1/messages/channels/\(threadID)/messages").status == .notFound)
            #expect(try await citizen.send(.POST, "/api/v1/messages/appeal/\(appeal.number)").status == .forbidden)
            #expect(try await citizen.send(.GET, "/api/v1/messages/channels").status == .forbidden)
        }
    }

    @Test func badFramesFloodingAndLongMessagesGetClearErrorsAndTheServerCarriesOn() async throws {
        try await withApp(demo: true) { app in
            let department = try await Self.organisation("ТО в г. Волжском", app)
            let city = try await Self.organisation("Администрация Волгограда", app)
            let coordinator = try await API.signedIn(app, "coordinator@consumerdesk.test")
            let channel = try await coordinator.send(
                .POST, "/api/v1/messages/channels",
                json: StaffMessagesController.ChannelInput(title: "Проверка", organisations: [department.uuidString, city.uuidString])
            ).content.decode(StaffMessagesController.Created.self).id
            try await withServer(app) { port in
                let socket = try await Self.socket(coordinator, port: port, app: app)
                try await socket.sendRaw("это не JSON")
                #expect(try await socket.next { $0.type == "error" }.code == "malformed")
                try await socket.sendRaw(#"{"type":"dance"}"#)
                #expect(try await socket.next { $0.type == "error" }.code == "unknown_type")
                try await socket.sendRaw(#"{"type":"subscribe","topic":"not-a-uuid"}"#)
                #expect(try await socket.next { $0.type == "error" }.code == "invalid_field")
                try await socket.sendRaw(#"{"type":"read","topic":"\#(channel)","seq":true}"#)
                #expect(try await socket.next { $0.type == "error" }.code == "invalid_field")
                try await socket.ws.send(raw: [0x01, 0x02], opcode: .binary)
                #expect(try await socket.next { $0.type == "error" }.code == "malformed")

                _ = try await socket.subscribe(channel)
                try await socket.say(String(repeating: "я", count: 4_001), in: channel, ref: "long")
                let long = try await socket.next { $0.type == "error" && $0.ref == "long" }
                #expect(long.code == "too_long")
                try await socket.say("   \n\t ", in: channel, ref: "empty")
                #expect(try await socket.next { $0.type == "error" && $0.ref == "empty" }.code == "invalid_field")
                try await socket.say(String(repeating: "я", count: 4_000), in: channel, ref: "max")
                #expect(try await socket.next { $0.type == "ack" && $0.ref == "max" }.seq == 1)

                // Flooding: after the burst, a clear notice with the wait; nothing stored beyond it.
                for index in 0..<15 { try await socket.say("сообщение \(index)", in: channel, ref: "f\(index)") }
                let flood = try await socket.next { $0.type == "error" && $0.code == "rate_limited" }
                #expect(flood.message?.contains("Подождите") == true)
                try await Task.sleep(for: .milliseconds(300))
                let stored = try await ChatMessageRecord.query(on: app.db).filter(\.$topicID == channel).count()
                #expect(stored < 13, "the burst, not all 16")

                // After all that, the connection and the server still work.
                try await socket.send(["type": "ping"])
                _ = try await socket.next { $0.type == "pong" }
                #expect(try await API(app).send(.GET, "/health/ready").status == .ok)
                try await socket.close()

                // A page's socket from another site is refused before it opens (the cookie would be the visitor's).
                let browser = try Browser(app)
                try await browser.signIn("coordinator@consumerdesk.test")
                var headers = HTTPHeaders()
                headers.add(name: .cookie, value: browser.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
                headers.add(name: .origin, value: "https://evil.example")
                await #expect(throws: (any Error).self) { _ = try await TestSocket.connect(port: port, path: "/ws", headers: headers, on: app) }
            }
        }
    }
}
