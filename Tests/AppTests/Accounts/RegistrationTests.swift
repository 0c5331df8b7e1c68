import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

@Suite("Citizen registration", .serialized)
struct RegistrationTests {
    static let goodForm: [(String, String)] = [
        ("surname", "Иванова"), ("name", "Мария"), ("patronymic", "Петровна"), ("email", "maria@example.test"),
        ("phone", ""), ("password", "Kv7pLq2Zr9x"), ("passwordConfirm", "Kv7pLq2Zr9x"), ("consent", "1"),
    ]

    @Test func badFormShowsRussianErrorsPerFieldAndSavesNothing() async throws {
        try await withApp { app in
            let browser = try Browser(app)
            let response = try await browser.post(
                "/register",
                form: [
                    ("surname", ""), ("name", "Мария"), ("email", "not-an-email"), ("phone", "12345"),
                    ("password", "qw1"), ("passwordConfirm", "zx9"),
                ])
            #expect(response.status == .unprocessableEntity)
            let html = response.body.string
            #expect(html.contains("Заполните это поле."))
            #expect(html.contains("Проверьте адрес электронной почты"))
            #expect(html.contains("Укажите российский номер телефона"))
            #expect(html.contains("Пароль должен быть не короче 8 символов."))
            #expect(html.contains("Пароли не совпадают."))
            #expect(html.contains("Нужно согласие на обработку персональных данных."))
            #expect(html.contains("value=\"Мария\""), "typed values are kept")
            #expect(!html.contains("qw1") && !html.contains("zx9"), "passwords are never echoed back")
            #expect(try await User.query(on: app.db).count() == 0)
            #expect(try await OutboxMessage.query(on: app.db).count() == 0)
        }
    }

    @Test func takenEmailIsAConflictOnTheForm() async throws {
        try await withApp { app in
            let browser = try Browser(app)
            #expect(try await browser.post("/register", form: Self.goodForm).status == .ok)
            let again = try await Browser(app).post("/register", form: Self.goodForm)
            #expect(again.status == .conflict)
            #expect(again.body.string.contains("Этот адрес уже зарегистрирован"))
            #expect(try await User.query(on: app.db).count() == 1)
        }
    }

    @Test func fullJourneyRegisterConfirmSignInSignOut() async throws {
        try await withApp { app in
            let browser = try Browser(app)
            let registered = try await browser.post("/register", form: Self.goodForm)
            #expect(registered.status == .ok)
            #expect(registered.body.string.contains("Мы отправили письмо"))

            let user = try #require(try await User.query(on: app.db).filter(\.$email == "maria@example.test").first())
            #expect(user.emailConfirmedAt == nil)
            let grants = try await user.$grants.get(on: app.db)
            #expect(grants.map(\.role) == [.citizen])
            let mail = try #require(try await OutboxMessage.query(on: app.db).first())
            #expect(mail.recipient == "maria@example.test")
            #expect(mail.subject == "Подтверждение регистрации в ConsumerDesk")
            let link = try #require(mail.bodyText.split(separator: "\n").first { $0.contains("/confirm-email?token=") })
            let path = String(link.drop(while: { $0 != "/" }).dropFirst(2).drop(while: { $0 != "/" }))

            // Before confirming, sign-in is refused and a new link is not sent again within minutes.
            let early = try await browser.post("/login", form: [("login", "maria@example.test"), ("password", "Kv7pLq2Zr9x")])
            #expect(early.status == .forbidden)
            #expect(early.body.string.contains("ещё не подтверждён"))

            let confirmed = try await browser.get(path)
            #expect(confirmed.status == .ok)
            #expect(confirmed.body.string.contains("Адрес электронной почты подтверждён"))
            #expect(try await browser.get(path).status == .badRequest, "a link works once")

            try await browser.signIn("maria@example.test", password: "Kv7pLq2Zr9x")
            let account = try await browser.get("/account")
            #expect(account.status == .ok)
            #expect(account.body.string.contains("<h1 id=\"user-name\">Иванова Мария</h1>"))

            let out = try await browser.post("/logout", form: [])
            #expect(out.status == .seeOther)
            #expect(try await SessionRow.query(on: app.db).count() == 0)
            let after = try await browser.get("/account")
            #expect(after.status == .seeOther)
            #expect(after.location?.hasPrefix("/login") == true)
        }
    }

    @Test func citizenMayRegisterByPhoneAndSignInWithIt() async throws {
        try await withApp { app in
            let browser = try Browser(app)
            var form = Self.goodForm.filter { $0.0 != "email" }
            form.append(("email", ""))
            form = form.map { $0.0 == "phone" ? ("phone", "8 (917) 555-44-33") : $0 }
            let response = try await browser.post("/register", form: form)
            #expect(response.status == .ok)
            #expect(try await OutboxMessage.query(on: app.db).count() == 0)
            try await browser.signIn("+7 917 555 44 33", password: "Kv7pLq2Zr9x")
        }
    }

    @Test func apiRegistrationAnswersWithStatusAndFieldErrors() async throws {
        try await withApp { app in
            let api = try API(app)
            let body: [String: String] = [
                "surname": "Петров", "name": "Пётр", "email": "petrov@example.test", "password": "Kv7pLq2Zr9x",
            ]
            var withConsent = AnyJSON(body)
            withConsent.values["consent"] = .bool(true)
            let created = try await api.send(.POST, "/api/v1/auth/register", json: withConsent)
            #expect(created.status == .created)
            let user = try created.content.decode(UserDTO.self)
            #expect(user.email == "petrov@example.test")
            #expect(user.grants.map(\.role) == [.citizen])

            let conflict = try await api.send(.POST, "/api/v1/auth/register", json: withConsent)
            #expect(conflict.status == .conflict)
            let conflictBody = try conflict.content.decode(APIErrorBody.self)
            #expect(conflictBody.fields?.map(\.field) == ["email"])
            #expect(conflictBody.reason.contains("already registered"))

            var weak = withConsent
            weak.values["email"] = .string("other@example.test")
            weak.values["password"] = .string("123")
            weak.values["phone"] = .string("12")
            let invalid = try await api.send(.POST, "/api/v1/auth/register", json: weak)
            #expect(invalid.status == .unprocessableEntity)
            let fields = Set(try invalid.content.decode(APIErrorBody.self).fields?.map(\.field) ?? [])
            #expect(fields == ["password", "phone"])
            #expect(try await User.query(on: app.db).count() == 1)

            let malformed = try await api.tester.sendRequest(
                .POST, "/api/v1/auth/register", headers: ["Content-Type": "application/json"],
                body: ByteBuffer(string: "{not json"))
            #expect(malformed.status == .badRequest)
            #expect(try malformed.content.decode(APIErrorBody.self).error)
        }
    }
}

/// A JSON object with mixed value types, for request bodies.
struct AnyJSON: Encodable, Sendable {
    enum Value: Encodable, Sendable {
        case string(String), bool(Bool)
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let value): try container.encode(value)
            case .bool(let value): try container.encode(value)
            }
        }
    }

    var values: [String: Value]

    init(_ strings: [String: String]) {
        values = strings.mapValues { .string($0) }
    }

    static func bool(_ key: String, _ value: Bool) -> AnyJSON {
        var json = AnyJSON([:])
        json.values[key] = .bool(value)
        return json
    }

    func encode(to encoder: any Encoder) throws { try values.encode(to: encoder) }
}
