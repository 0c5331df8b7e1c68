import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

/// A JSON body for appeals with mixed value types.
struct AppealBody: Encodable, Sendable {
    var fields: [String: String]
    var answers: [String: String] = [:]
    var consent = true

    func encode(to encoder: any Encoder) throws {
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        var container = encoder.container(keyedBy: Key.self)
        for (key, value) in fields { try container.encode(value, forKey: Key(stringValue: key)) }
        try container.encode(answers, forKey: Key(stringValue: "answers"))
        try container.encode(consent, forKey: Key(stringValue: "consent"))
    }
}

@Suite("Appeals intake", .serialized)
struct IntakeTests {
    func territory(_ code: String, on app: Application) async throws -> UUID {
        try #require(try await Territory.query(on: app.db).filter(\.$code == code).first()?.id)
    }

    func body(_ app: Application, text: String = "Продавец отказался вернуть деньги за неисправный телефон.")
        async throws -> AppealBody
    {
        AppealBody(
            fields: [
                "subcategoryCode": "trade-refund-defective", "territoryId": try await territory("vlg-volgograd", on: app).uuidString,
                "text": text, "conflictName": "ООО «Связной»", "problemAddress": "г. Волгоград, пр. Ленина, 1",
            ],
            answers: ["purchaseDate": "2026-10-01", "claimFiled": "да", "price": "25 990"])
    }

    @Test func aCitizenFilesThroughTheAPIAndGetsANumberAHistoryAndAMail() async throws {
        try await withApp(demo: true) { app in
            let api = try await API.signedIn(app, "citizen@consumerdesk.test")
            let response = try await api.send(.POST, "/api/v1/appeals", json: try await body(app))
            #expect(response.status == .created, "\(response.body.string)")
            let appeal = try response.content.decode(AppealDTO.self)
            #expect(appeal.number == "34-\(app.productionCalendar.year(of: Date()))-000001")
            #expect(appeal.status == .moderation)
            #expect(appeal.channel == .api)
            #expect(appeal.applicant.surname == "Иванова")
            #expect(appeal.subcategoryName == "Возврат денег за товар ненадлежащего качества")
            let volgograd = try #require(try await Organisation.query(on: app.db).filter(\.$name == "Администрация Волгограда").first())
            #expect(appeal.executorOrganisationId == volgograd.id)
            #expect(appeal.answerDueAt > appeal.registeredAt.addingTimeInterval(29 * 86400))
            let events = try await AppealEvent.query(on: app.db).all()
            #expect(events.map(\.action) == [.submitted])
            let mail = try #require(try await OutboxMessage.query(on: app.db).filter(\.$recipient == "citizen@consumerdesk.test").first())
            #expect(mail.subject == "Обращение № \(appeal.number) зарегистрировано")
            #expect(mail.bodyText.contains("Срок ответа: до "))

            let mine = try await api.send(.GET, "/api/v1/appeals").content.decode([AppealDTO].self)
            #expect(mine.map(\.number) == [appeal.number])
            let moderator = try await API.signedIn(app, "moderator@consumerdesk.test")
            #expect(try await moderator.send(.GET, "/api/v1/appeals/\(appeal.number)").status == .ok)
            let executorElsewhere = try await API.signedIn(app, "executor@consumerdesk.test")
            #expect(try await executorElsewhere.send(.GET, "/api/v1/appeals/\(appeal.number)").status == .notFound)
        }
    }

    @Test func badInputIsRefusedFieldByFieldAndNothingIsSaved() async throws {
        try await withApp(demo: true) { app in
            let api = try await API.signedIn(app, "citizen@consumerdesk.test")
            var bad = try await body(app, text: String(repeating: "я", count: 5001))
            bad.fields["phone"] = "12345"
            bad.fields["birthDate"] = "2099-01-01"
            bad.fields["conflictInn"] = "123"
            bad.answers = ["purchaseDate": "вчера"]
            bad.consent = false
            let response = try await api.send(.POST, "/api/v1/appeals", json: bad)
            #expect(response.status == .unprocessableEntity)
            let fields = Set(try response.content.decode(APIErrorBody.self).fields?.map(\.field) ?? [])
            #expect(fields == ["text", "phone", "birthDate", "conflictInn", "answers.purchaseDate", "answers.claimFiled", "consent"])

            // A control character (NUL, which PostgreSQL refuses in text) is refused per field, not a 500.
            var control = try await body(app, text: "Текст\u{0}с нулевым символом")
            control.fields["subject"] = "Тема\u{7}"
            let refusedControl = try await api.send(.POST, "/api/v1/appeals", json: control)
            #expect(refusedControl.status == .unprocessableEntity)
            #expect(Set(try refusedControl.content.decode(APIErrorBody.self).fields?.map(\.field) ?? []) == ["text", "subject"])

            var missing = AppealBody(fields: [:])
            missing.consent = true
            let empty = try await api.send(.POST, "/api/v1/appeals", json: missing)
            let emptyFields = Set(try empty.content.decode(APIErrorBody.self).fields?.map(\.field) ?? [])
            #expect(emptyFields.isSuperset(of: ["subcategoryCode", "text", "territoryId"]))

            var unknown = try await body(app)
            unknown.fields["subcategoryCode"] = "no-such"
            #expect(try await api.send(.POST, "/api/v1/appeals", json: unknown).content.decode(APIErrorBody.self).fields?.map(\.field) == ["subcategoryCode"])
            let retired = try #require(try await Subcategory.query(on: app.db).filter(\.$code == "trade-refund-defective").first())
            retired.isRetired = true
            try await retired.update(on: app.db)
            let refused = try await api.send(.POST, "/api/v1/appeals", json: try await body(app))
            #expect(try refused.content.decode(APIErrorBody.self).fields?.first?.code == "retired")
            #expect(try await Appeal.query(on: app.db).count() == 0)
            #expect(try await OutboxMessage.query(on: app.db).count() == 0)
        }
    }

    @Test func aRetriedRequestWithTheSameKeyReturnsTheFirstAppeal() async throws {
        try await withApp(demo: true) { app in
            let api = try await API.signedIn(app, "citizen@consumerdesk.test")
            let payload = try await body(app)
            let first = try await api.send(.POST, "/api/v1/appeals", json: payload, headers: ["Idempotency-Key": "k-1"])
            let second = try await api.send(.POST, "/api/v1/appeals", json: payload, headers: ["Idempotency-Key": "k-1"])
            #expect(first.status == .created)
            #expect(second.status == .ok)
            #expect(second.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(try first.content.decode(AppealDTO.self).number == second.content.decode(AppealDTO.self).number)
            var changed = payload
            changed.fields["text"] = "Совсем другой текст обращения о другом товаре."
            let misuse = try await api.send(.POST, "/api/v1/appeals", json: changed, headers: ["Idempotency-Key": "k-1"])
            #expect(misuse.status == .unprocessableEntity)
            #expect(try await Appeal.query(on: app.db).count() == 1)
        }
    }

    @Test func anOperatorRegistersAHotlineCallAndCitizensCannot() async throws {
        try await withApp(demo: true) { app in
            var payload = try await body(app)
            payload.fields["channel"] = "hotline"
            payload.fields["surname"] = "Петров"
            payload.fields["name"] = "Пётр"
            payload.fields["phone"] = "8 (902) 111-22-33"
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            #expect(try await citizen.send(.POST, "/api/v1/appeals", json: payload).status == .forbidden)
            let operatorAPI = try await API.signedIn(app, "operator@consumerdesk.test")
            let response = try await operatorAPI.send(.POST, "/api/v1/appeals", json: payload)
            #expect(response.status == .created)
            let appeal = try #require(try await Appeal.query(on: app.db).first())
            #expect(appeal.channel == .hotline)
            #expect(appeal.userID == nil)
            #expect(appeal.phone == "+79021112233")
            #expect(appeal.registeredBy != nil)
        }
    }

    @Test func aCallRegisteredForAConfirmedCitizenAddressAppearsInTheirAppeals() async throws {
        try await withApp(demo: true) { app in
            let operatorAPI = try await API.signedIn(app, "operator@consumerdesk.test")
            func call(email: String) async throws -> AppealDTO {
                var payload = try await body(app, text: "Звонок: \(email) не может вернуть деньги за телефон.")
                payload.fields["channel"] = "hotline"
                payload.fields["surname"] = "Иванова"
                payload.fields["name"] = "Мария"
                payload.fields["email"] = email
                let response = try await operatorAPI.send(.POST, "/api/v1/appeals", json: payload)
                #expect(response.status == .created, "\(response.body.string)")
                return try response.content.decode(AppealDTO.self)
            }
            let forCitizen = try await call(email: "Citizen@ConsumerDesk.test")
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            #expect(try await citizen.send(.GET, "/api/v1/appeals").content.decode([AppealDTO].self).map(\.number) == [forCitizen.number])
            #expect(try await citizen.send(.GET, "/api/v1/appeals/\(forCitizen.number)").status == .ok)

            // An address nobody has proven, or a staff member's, links nothing.
            let browser = try Browser(app)
            let registered = try await browser.post(
                "/register",
                form: [("surname", "Петрова"), ("name", "Анна"), ("email", "anna@example.test"), ("phone", ""),
                       ("password", "Kv7pLq2Zr9x"), ("passwordConfirm", "Kv7pLq2Zr9x"), ("consent", "1")])
            #expect(registered.status == .ok, "\(registered.body.string.prefix(400))")
            let forAnna = try await call(email: "anna@example.test")
            #expect(try await Appeal.query(on: app.db).filter(\.$number == forAnna.number).first()?.userID == nil)
            let forStaff = try await call(email: "executor@consumerdesk.test")
            #expect(try await Appeal.query(on: app.db).filter(\.$number == forStaff.number).first()?.userID == nil)
        }
    }

    @Test func similarAppealsFromTheSameApplicantAreFlagged() async throws {
        try await withApp(demo: true) { app in
            let api = try await API.signedIn(app, "citizen@consumerdesk.test")
            let first = try await api.send(.POST, "/api/v1/appeals", json: try await body(app)).content.decode(AppealDTO.self)
            _ = try await api.send(
                .POST, "/api/v1/appeals",
                json: try await body(app, text: "Продавец отказался вернуть деньги за неисправный телефон!!"))
            let second = try #require(try await Appeal.query(on: app.db).filter(\.$sequence == 2).first())
            #expect(second.possibleDuplicateOf == first.id)
            _ = try await api.send(.POST, "/api/v1/appeals", json: try await body(app, text: "Сломалась стиральная машина после ремонта"))
            let third = try #require(try await Appeal.query(on: app.db).filter(\.$sequence == 3).first())
            #expect(third.possibleDuplicateOf == nil)
        }
    }

    @Test func twoHundredConcurrentSubmissionsGetDistinctConsecutiveNumbers() async throws {
        // One citizen filing far more than a person would: the public rate limit is lifted.
        try await withApp(demo: true, configure: { $0.rateLimits = false }) { app in
            let api = try await API.signedIn(app, "citizen@consumerdesk.test")
            let payloads = try await (0..<200).asyncMap { index in
                try await body(app, text: "Обращение номер \(index): товар \(index) оказался бракованным, продавец \(index) молчит.")
            }
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for payload in payloads {
                    group.addTask { try await api.send(.POST, "/api/v1/appeals", json: payload).status }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .created })
            let sequences = try await Appeal.query(on: app.db).all().map(\.sequence).sorted()
            #expect(sequences == Array(1...200))
        }
    }
}

extension IntakeTests {
    /// Submissions are committed in batches; a batch that fails on one record (here: parallel
    /// retries racing on one Idempotency-Key) is retried record by record, so the others still go
    /// through, and rolled-back attempts leave no gaps in the numbers.
    @Test func aBadRecordInABatchDoesNotSinkTheOthers() async throws {
        // One citizen filing far more than a person would: the public rate limit is lifted.
        try await withApp(demo: true, configure: { $0.rateLimits = false }) { app in
            let api = try await API.signedIn(app, "citizen@consumerdesk.test")
            let retried = try await body(app, text: "Повторная отправка одного и того же обращения о сломанном чайнике.")
            var requests: [(AppealBody, HTTPHeaders)] = (0..<6).map { _ in (retried, ["Idempotency-Key": "same"]) }
            for index in 0..<40 {
                requests.append((try await body(app, text: "Обращение \(index): пылесос \(index) сломался, продавец \(index) молчит."), [:]))
            }
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for (payload, headers) in requests.shuffled() {
                    group.addTask { try await api.send(.POST, "/api/v1/appeals", json: payload, headers: headers).status }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 41)
            #expect(statuses.filter { $0 == .ok }.count == 5, "the retries get the first appeal")
            let sequences = try await Appeal.query(on: app.db).all().map(\.sequence).sorted()
            #expect(sequences == Array(1...41))
            #expect(try await AppealEvent.query(on: app.db).count() == 41)
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
