import Crypto
import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

/// Webhooks: an organisation's subscription, signed deliveries to a real HTTP receiver on 127.0.0.1,
/// retries with backoff, giving up, the admin's log and retry.
@Suite("Webhooks", .serialized)
struct WebhookTests {
    /// A real HTTP server on 127.0.0.1 (its own Vapor application on a free port) that records what it
    /// gets and answers with the statuses it is given, in turn (the last one repeats).
    final class Receiver: Sendable {
        struct Received: Sendable {
            var headers: HTTPHeaders
            var body: Data
        }

        let app: Application
        let received: NIOLockedValueBox<[Received]>
        let port: Int

        var url: String { "http://127.0.0.1:\(port)/hook" }
        var requests: [Received] { received.withLockedValue { $0 } }

        private init(app: Application, received: NIOLockedValueBox<[Received]>, port: Int) {
            self.app = app
            self.received = received
            self.port = port
        }

        static func start(answers: [HTTPResponseStatus]) async throws -> Receiver {
            let app = try await Application.make(.testing)
            app.logger.logLevel = .warning
            let box = NIOLockedValueBox<[Received]>([])
            app.post("hook") { request -> HTTPStatus in
                let body = request.body.data.map { Data(buffer: $0) } ?? Data()
                let count = box.withLockedValue { list in
                    list.append(Received(headers: request.headers, body: body))
                    return list.count
                }
                return answers[min(count, answers.count) - 1]
            }
            try await app.asyncBoot()
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            let port = try #require(app.http.server.shared.localAddress?.port)
            return Receiver(app: app, received: box, port: port)
        }

        func stop() async throws {
            await app.server.shutdown()
            try await app.asyncShutdown()
        }
    }

    static func file(_ app: Application) async throws -> AppealDTO {
        let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
        let territory = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-leninsky").first()?.id)
        let body = AppealBody(
            fields: [
                "subcategoryCode": "trade-refund-defective", "territoryId": territory.uuidString,
                "text": "Магазин отказался вернуть деньги за сломанный пылесос.",
            ],
            answers: ["purchaseDate": "2026-10-01", "claimFiled": "да"])
        let response = try await citizen.send(.POST, "/api/v1/appeals", json: body)
        #expect(response.status == .created, "\(response.body.string)")
        return try response.content.decode(AppealDTO.self)
    }

    static func subscribe(_ admin: Browser, organisation: UUID, url: String, events: [String]) async throws -> String {
        let page = try await admin.post(
            "/admin/webhooks",
            form: [("organisationId", organisation.uuidString), ("url", url), ("note", "СЭД")] + events.map { ("events[]", $0) })
        #expect(page.status == .created, "\(page.body.string.prefix(500))")
        let html = page.body.string
        let start = try #require(html.range(of: "<code id=\"webhook-secret\">"))
        let end = try #require(html.range(of: "</code>", range: start.upperBound..<html.endIndex))
        return String(html[start.upperBound..<end.lowerBound])
    }

    static func queued(_ app: Application) async throws -> Int {
        let sql = try #require(app.db as? any SQLDatabase)
        return try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("webhook_queue").first()?
            .decode(column: "n", as: Int.self) ?? -1
    }

    @Test func aReceiverGetsSignedDeliveriesRetriedUntilItAnswers() async throws {
        try await withApp(demo: true) { app in
            let receiver = try await Receiver.start(answers: [.internalServerError, .ok])
            let worker = WebhookWorker(app: app)
            do {
                // With no subscription the register notes nothing for webhooks.
                let appeal = try await Self.file(app)
                #expect(try await Self.queued(app) == 0)
                let organisation = try #require(appeal.executorOrganisationId)

                let admin = try Browser(app)
                try await admin.signIn("admin@consumerdesk.test")
                let secret = try await Self.subscribe(
                    admin, organisation: organisation, url: receiver.url, events: ["appeal.accepted", "appeal.rejected"])
                #expect(secret.hasPrefix("whsec_") && secret.count > 30)
                let stored = try #require(try await WebhookSubscription.query(on: app.db).first())
                #expect(stored.events == "appeal.accepted,appeal.rejected" && stored.active)

                let moderator = try await API.signedIn(app, "moderator@consumerdesk.test")
                let accepted = try await moderator.send(
                    .POST, "/api/v1/appeals/\(appeal.number)/moderation", json: ["action": "accept"])
                #expect(accepted.status == .ok)
                #expect(try await Self.queued(app) >= 1)

                // First attempt: the receiver answers 500, the delivery waits for a retry.
                #expect(try await worker.prepare() >= 1)
                #expect(try await Self.queued(app) == 0)
                #expect(try await worker.deliverDue() == 1)
                let first = try #require(try await WebhookDelivery.query(on: app.db).all().first)
                #expect(first.status == .pending && first.attempts == 1 && first.lastStatus == 500)
                #expect(first.nextAttemptAt > app.clock.now().addingTimeInterval(50))
                #expect(try await worker.deliverDue() == 0, "not due before its backoff")

                // A minute later it is due again and the receiver takes it.
                let later = app.clock.now().addingTimeInterval(61)
                app.clock = AppClock { later }
                #expect(try await worker.deliverDue() == 1)
                let done = try #require(try await WebhookDelivery.find(first.id, on: app.db))
                #expect(done.status == .delivered && done.attempts == 2 && done.lastStatus == 200)

                let got = receiver.requests
                #expect(got.count == 2)
                for request in got {
                    #expect(request.headers.first(name: "X-ConsumerDesk-Event") == "appeal.accepted")
                    #expect(request.headers.first(name: "X-ConsumerDesk-Delivery") == first.id?.uuidString)
                    #expect(request.headers.contentType?.subType == "json")
                    // The signature checks out with the secret, over the timestamp and the exact body.
                    let timestamp = try #require(request.headers.first(name: "X-ConsumerDesk-Timestamp"))
                    let mac = HMAC<SHA256>.authenticationCode(
                        for: Data("\(timestamp).".utf8) + request.body, using: SymmetricKey(data: Data(secret.utf8)))
                    let expected = "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
                    #expect(request.headers.first(name: "X-ConsumerDesk-Signature") == expected)
                }
                let decoder = JSONDecoder()
                decoder.dateDecodingStrategy = .iso8601
                let payload = try decoder.decode(WebhookPayload.self, from: try #require(got.first?.body))
                #expect(payload.event == "appeal.accepted" && payload.appeal.number == appeal.number)
                #expect(payload.organisationId == organisation && payload.id == first.id)
                #expect(payload.appeal.status == .coordination)
                #expect(payload.fromStatus == .moderation && payload.toStatus == .coordination)

                // The submitted event was not asked for; only one delivery exists.
                #expect(try await WebhookDelivery.query(on: app.db).count() == 1)

                // The admin's log shows it.
                let page = try await admin.get("/admin/webhooks")
                #expect(page.body.string.contains("delivery-\(first.id!.uuidString)"))
                #expect(page.body.string.contains("доставлено") && page.body.string.contains(appeal.number))
                #expect(!page.body.string.contains(secret), "the secret is shown once only")

                // The log keeps a month of delivered events.
                #expect(try await Housekeeping.run(on: app.db, now: Date().addingTimeInterval(20 * 86400)).webhookDeliveries == 0)
                #expect(try await Housekeeping.run(on: app.db, now: Date().addingTimeInterval(32 * 86400)).webhookDeliveries == 1)
                #expect(try await WebhookDelivery.query(on: app.db).count() == 0)
            } catch {
                await worker.stop()
                try await receiver.stop()
                throw error
            }
            await worker.stop()
            try await receiver.stop()
        }
    }

    @Test func aDeliveryGivesUpAfterItsAttemptsAndTheAdminSendsItAgain() async throws {
        try await withApp(demo: true) { app in
            let receiver = try await Receiver.start(answers: [.serviceUnavailable])
            let worker = WebhookWorker(app: app, policy: MailDeliveryPolicy(firstDelay: 1, maximumDelay: 1, maximumAttempts: 2))
            do {
                let appeal = try await Self.file(app)
                let admin = try Browser(app)
                try await admin.signIn("admin@consumerdesk.test")
                _ = try await Self.subscribe(admin, organisation: try #require(appeal.executorOrganisationId), url: receiver.url, events: [])
                let moderator = try await API.signedIn(app, "moderator@consumerdesk.test")
                _ = try await moderator.send(
                    .POST, "/api/v1/appeals/\(appeal.number)/moderation", json: ["action": "reject", "reason": "abusive"])
                try await worker.prepare()
                let deliveries = try await WebhookDelivery.query(on: app.db).all()
                #expect(deliveries.map(\.event) == ["appeal.rejected"], "every event when none is chosen")
                #expect(try await worker.deliverDue() == 1)
                let later = app.clock.now().addingTimeInterval(5)
                app.clock = AppClock { later }
                #expect(try await worker.deliverDue() == 1)
                let failed = try #require(try await WebhookDelivery.query(on: app.db).first())
                #expect(failed.status == .failed && failed.attempts == 2 && failed.lastStatus == 503)
                #expect(receiver.requests.count == 2)

                let page = try await admin.get("/admin/webhooks")
                #expect(page.body.string.contains("не доставлено") && page.body.string.contains("HTTP 503"))
                let retried = try await admin.post("/admin/webhooks/deliveries/\(failed.id!.uuidString)/retry", form: [])
                #expect(retried.status == .seeOther)
                let again = try #require(try await WebhookDelivery.find(failed.id, on: app.db))
                #expect(again.status == .pending && again.attempts == 0)

                // Switched off: what waits is not sent, and nothing new is queued for it.
                let subscription = try #require(try await WebhookSubscription.query(on: app.db).first())
                #expect(try await admin.post("/admin/webhooks/\(subscription.id!.uuidString)/toggle", form: []).status == .seeOther)
                #expect(try await WebhookSubscription.find(subscription.id, on: app.db)?.active == false)
                #expect(try await worker.deliverDue() == 0)
                #expect(receiver.requests.count == 2)
                _ = try await Self.file(app)
                #expect(try await Self.queued(app) == 0)
                // On again: the waiting delivery goes.
                #expect(try await admin.post("/admin/webhooks/\(subscription.id!.uuidString)/toggle", form: []).status == .seeOther)
                #expect(try await worker.deliverDue() == 1)
                #expect(receiver.requests.count == 3)
            } catch {
                await worker.stop()
                try await receiver.stop()
                throw error
            }
            await worker.stop()
            try await receiver.stop()
        }
    }

    @Test func badSubscriptionsAreRefusedAndOnlyAdminsManageThem() async throws {
        try await withApp(demo: true) { app in
            let organisation = try #require(try await Organisation.query(on: app.db).first()?.id)
            let admin = try Browser(app)
            try await admin.signIn("admin@consumerdesk.test")
            let cases: [([(String, String)], String)] = [
                ([("organisationId", organisation.uuidString), ("url", "")], "url"),
                ([("organisationId", organisation.uuidString), ("url", "ftp://sed.example/hook")], "url"),
                ([("organisationId", organisation.uuidString), ("url", "http://sed.example/hook")], "url"),
                ([("organisationId", organisation.uuidString), ("url", "https://user:pw@sed.example/hook")], "url"),
                ([("organisationId", ""), ("url", "https://sed.example/hook")], "organisationId"),
                ([("organisationId", UUID().uuidString), ("url", "https://sed.example/hook")], "organisationId"),
                ([("organisationId", organisation.uuidString), ("url", "https://sed.example/hook"), ("events[]", "appeal.exploded")], "events"),
            ]
            for (form, field) in cases {
                let response = try await admin.post("/admin/webhooks", form: form)
                #expect(response.status == .unprocessableEntity, "\(form)")
                #expect(response.body.string.contains("id=\"\(field)-error\""), "\(form): \(field)")
            }
            #expect(try await WebhookSubscription.query(on: app.db).count() == 0)

            let citizen = try Browser(app)
            try await citizen.signIn("citizen@consumerdesk.test")
            #expect(try await citizen.get("/admin/webhooks").status == .forbidden)
            let attempt = try await citizen.post(
                "/admin/webhooks", form: [("organisationId", organisation.uuidString), ("url", "https://evil.example/hook")])
            #expect(attempt.status == .forbidden)
            #expect(try await WebhookSubscription.query(on: app.db).count() == 0)
        }
    }
}
