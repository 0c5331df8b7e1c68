import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

/// `Idempotency-Key` on the API's creating calls other than filing an appeal (which keeps its own keys:
/// `IntakeTests`, `AttachmentTests`).
@Suite("Idempotency of creating API calls", .serialized)
struct IdempotencyTests {
    /// An appeal filed by the demo citizen, routed to the executor's organisation, for staff to work on.
    func appealNumber(_ app: Application) async throws -> String {
        let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
        let territory = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-volzhsky").first()?.id)
        let response = try await citizen.send(
            .POST, "/api/v1/appeals",
            json: AppealBody(
                fields: ["subcategoryCode": "trade-refund-defective", "territoryId": territory.uuidString, "text": "Продавец не вернул деньги."],
                answers: ["purchaseDate": "2026-10-01", "claimFiled": "да"]))
        #expect(response.status == .created, "\(response.body.string)")
        return try response.content.decode(AppealDTO.self).number
    }

    @Test func aRetriedNoteGetsTheFirstAnswerAndIsWrittenOnce() async throws {
        try await withApp(demo: true) { app in
            let number = try await appealNumber(app)
            let admin = try await API.signedIn(app, "admin@consumerdesk.test")
            let key: HTTPHeaders = ["Idempotency-Key": "note-7f3a"]
            let first = try await admin.send(.POST, "/api/v1/appeals/\(number)/notes", json: ["text": "Позвонить продавцу"], headers: key)
            #expect(first.status == .ok, "\(first.body.string)")
            #expect(first.headers.first(name: "Idempotent-Replayed") == nil)
            let again = try await admin.send(.POST, "/api/v1/appeals/\(number)/notes", json: ["text": "Позвонить продавцу"], headers: key)
            #expect(again.status == .ok)
            #expect(again.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(again.body.string == first.body.string, "the first answer, byte for byte")
            #expect(again.headers.first(name: .contentType) == first.headers.first(name: .contentType))
            #expect(try await AppealNote.query(on: app.db).count() == 1)

            // The same key with another body is a mistake, not a retry.
            let other = try await admin.send(.POST, "/api/v1/appeals/\(number)/notes", json: ["text": "Другой текст"], headers: key)
            #expect(other.status == .unprocessableEntity)
            #expect(other.body.string.contains("Idempotency-Key"))
            // Without a key every call creates.
            _ = try await admin.send(.POST, "/api/v1/appeals/\(number)/notes", json: ["text": "Позвонить продавцу"])
            #expect(try await AppealNote.query(on: app.db).count() == 2)
            // Keys are the caller's own: another person's identical key is another request.
            let curator = try await API.signedIn(app, "curator@consumerdesk.test")
            let theirs = try await curator.send(.POST, "/api/v1/appeals/\(number)/notes", json: ["text": "Позвонить продавцу"], headers: key)
            #expect(theirs.headers.first(name: "Idempotent-Replayed") == nil)
        }
    }

    @Test func aRefusedRequestReleasesItsKeyForTheCorrectedOne() async throws {
        try await withApp(demo: true) { app in
            let api = try API(app)
            let key: HTTPHeaders = ["Idempotency-Key": "signup-1"]
            let incomplete = try await api.send(.POST, "/api/v1/auth/register", json: ["email": "new@example.test"], headers: key)
            #expect(incomplete.status == .unprocessableEntity)
            #expect(try await IdempotentRequest.query(on: app.db).count() == 0, "released")
            let body: [String: String] = [
                "surname": "Новикова", "name": "Ольга", "email": "new@example.test", "password": "correct horse 2026",
            ]
            struct Register: Encodable, Sendable {
                var fields: [String: String]
                func encode(to encoder: any Encoder) throws {
                    var container = encoder.container(keyedBy: AnyKey.self)
                    for (key, value) in fields { try container.encode(value, forKey: AnyKey(key)) }
                    try container.encode(true, forKey: AnyKey("consent"))
                }
            }
            let created = try await api.send(.POST, "/api/v1/auth/register", json: Register(fields: body), headers: key)
            #expect(created.status == .created, "\(created.body.string)")
            let replay = try await api.send(.POST, "/api/v1/auth/register", json: Register(fields: body), headers: key)
            #expect(replay.status == .created, "the first status, not a 422 for a taken address: \(replay.body.string)")
            #expect(replay.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(try await User.query(on: app.db).filter(\.$email == "new@example.test").count() == 1)

            for bad in ["", String(repeating: "k", count: 201), "ключ", "two words"] {
                let response = try await api.send(.POST, "/api/v1/auth/register", json: Register(fields: body), headers: ["Idempotency-Key": bad])
                #expect(response.status == .unprocessableEntity, "key \(bad.prefix(10))")
            }
        }
    }

    @Test func twoCopiesAtOnceMakeOneRecord() async throws {
        try await withApp(demo: true) { app in
            let number = try await appealNumber(app)
            let admin = try await API.signedIn(app, "admin@consumerdesk.test")
            let statuses = try await withThrowingTaskGroup(of: (UInt, String?).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let response = try await admin.send(
                            .POST, "/api/v1/appeals/\(number)/notes", json: ["text": "Одна заметка"], headers: ["Idempotency-Key": "burst"])
                        return (response.status.code, response.headers.first(name: "Idempotent-Replayed"))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0.0 == 200 || $0.0 == 409 }, "\(statuses)")
            #expect(statuses.filter { $0.0 == 200 && $0.1 == nil }.count == 1, "exactly one made it: \(statuses)")
            #expect(try await AppealNote.query(on: app.db).count() == 1)
        }
    }

    @Test func signInIsNeverReplayedAndOldKeysAreForgotten() async throws {
        try await withApp(demo: true) { app in
            let api = try API(app)
            let key: HTTPHeaders = ["Idempotency-Key": "token-1"]
            let login = ["login": "citizen@consumerdesk.test", "password": "demo2026"]
            let first = try await api.send(.POST, "/api/v1/auth/token", json: login, headers: key)
            let second = try await api.send(.POST, "/api/v1/auth/token", json: login, headers: key)
            #expect(first.status == .ok && second.status == .ok)
            #expect(try first.content.decode(API.TokenBody.self).token != second.content.decode(API.TokenBody.self).token)
            #expect(try await IdempotentRequest.query(on: app.db).count() == 0, "a token is never stored")

            let number = try await appealNumber(app)
            let admin = try await API.signedIn(app, "admin@consumerdesk.test")
            _ = try await admin.send(.POST, "/api/v1/appeals/\(number)/notes", json: ["text": "Заметка"], headers: ["Idempotency-Key": "k1"])
            #expect(try await IdempotentRequest.query(on: app.db).count() == 1)
            let report = try await Housekeeping.run(on: app.db, now: Date().addingTimeInterval(IdempotencyMiddleware.lifetime + 60))
            #expect(report.idempotencyKeys == 1)
            #expect(try await IdempotentRequest.query(on: app.db).count() == 0)
        }
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
