import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

/// The widget for official websites: the admin's list of sites, the frame's policy, and filing through it.
@Suite("Widget for official websites")
struct WidgetTests {
    static let site = "https://admin.volzhsky.example"

    /// An organisation serving exactly one territory (a territorial department).
    static func department(_ app: Application) async throws -> (Organisation, Territory) {
        let organisations = try await Organisation.query(on: app.db).with(\.$territories).all()
        let one = try #require(organisations.first { $0.territories.count == 1 && $0.territories[0].kind != .region })
        return (one, one.territories[0])
    }

    static func allow(_ app: Application, _ origin: String, organisation: UUID? = nil) async throws -> TestingHTTPResponse {
        let admin = try Browser(app)
        try await admin.signIn("admin@consumerdesk.test")
        return try await admin.post("/admin/widget", form: [("origin", origin), ("organisationId", organisation?.uuidString ?? "")])
    }

    static func post(_ app: Application, origin: String?, _ fields: [(String, String)]) async throws -> TestingHTTPResponse {
        var headers = HTTPHeaders()
        headers.contentType = .urlEncodedForm
        if let origin { headers.replaceOrAdd(name: .origin, value: origin) }
        let body = fields.map { "\(Browser.encode($0.0))=\(Browser.encode($0.1))" }.joined(separator: "&")
        return try await app.testing().sendRequest(.POST, "/widget/form", headers: headers, body: ByteBuffer(string: body))
    }

    @Test func adminsListTheSitesThatMayEmbedIt() async throws {
        try await withApp(demo: true) { app in
            let (department, _) = try await Self.department(app)
            #expect(try await Self.allow(app, "https://Admin.Volzhsky.example/", organisation: department.id).status == .seeOther)
            #expect(try await WidgetSite.query(on: app.db).all().map(\.origin) == [Self.site])
            let duplicate = try await Self.allow(app, Self.site)
            #expect(duplicate.status == .unprocessableEntity && duplicate.body.string.contains("field-error"))
            for bad in ["javascript:alert(1)", "https://site.example/page", "ftp://site.example", "   "] {
                #expect(try await Self.allow(app, bad).status == .unprocessableEntity, "\(bad)")
            }
            #expect(try await WidgetSite.query(on: app.db).count() == 1)
            let admin = try Browser(app)
            try await admin.signIn("admin@consumerdesk.test")
            let page = try await admin.get("/admin/widget")
            #expect(page.body.string.contains("data-org=&quot;\(try department.requireID().uuidString)&quot;"))
            let citizen = try Browser(app)
            try await citizen.signIn("citizen@consumerdesk.test")
            #expect(try await citizen.get("/admin/widget").status == .forbidden)
            #expect(try await citizen.post("/admin/widget", form: [("origin", "https://evil.example")]).status == .forbidden)

            let script = try await app.testing().sendRequest(.GET, "/widget.js")
            #expect(script.status == .ok && script.body.string.contains("Сообщить о проблеме"))
            #expect(script.headers.contentType?.subType == "javascript")
        }
    }

    @Test func theFrameIsPresetToTheOrganisationAndFilesAnAppealFromTheSite() async throws {
        try await withApp(demo: true) { app in
            let (department, territory) = try await Self.department(app)
            let org = try department.requireID().uuidString
            _ = try await Self.allow(app, Self.site, organisation: department.id)
            let query = "org=\(org)&site=\(Browser.encode(Self.site))"

            let choose = try await app.testing().sendRequest(.GET, "/widget/form?\(query)")
            #expect(choose.status == .ok)
            let policy = choose.headers.first(name: "Content-Security-Policy") ?? ""
            #expect(policy.contains("frame-ancestors 'self' \(Self.site);"))
            #expect(!choose.headers.contains(name: "X-Frame-Options"))
            #expect(choose.headers.first(name: "Referrer-Policy") == "same-origin")
            #expect(choose.body.string.contains("trade-refund-defective") && choose.body.string.contains(department.name))
            let card = try await app.testing().sendRequest(.GET, "/widget/form?\(query)&subcategory=trade-refund-defective")
            #expect(card.status == .ok && card.body.string.contains("answers[purchaseDate]"))
            // One territory: preset, nothing to choose.
            #expect(!card.body.string.contains("id=\"territoryId\""))
            // Other pages still refuse framing.
            #expect(try await app.testing().sendRequest(.GET, "/").headers.first(name: "X-Frame-Options") == "DENY")

            let fields: [(String, String)] = [
                ("org", org), ("site", Self.site), ("subcategory", "trade-refund-defective"), ("surname", "Кузнецов"),
                ("name", "Игорь"), ("email", "igor@example.ru"), ("text", "Не вернули деньги за неисправный утюг."),
                ("answers[purchaseDate]", "2026-11-01"), ("answers[claimFiled]", "нет"), ("consent", "on"),
            ]
            let before = try await Appeal.query(on: app.db).count()
            // A form posted from another site, or with no Origin, is refused.
            #expect(try await Self.post(app, origin: "https://evil.example", fields).status == .forbidden)
            #expect(try await Self.post(app, origin: nil, fields).status == .forbidden)
            // Bad input: the card again with Russian messages, nothing saved.
            let bad = try await Self.post(app, origin: app.config.publicURL, fields.filter { $0.0 != "email" && $0.0 != "consent" })
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.string.contains("field-error") && bad.body.string.contains("Игорь"))
            #expect(try await Appeal.query(on: app.db).count() == before)

            let done = try await Self.post(app, origin: app.config.publicURL, fields)
            #expect(done.status == .created, "\(done.body.string.prefix(500))")
            #expect(done.body.string.contains("Обращение зарегистрировано"))
            let appeal = try #require(try await Appeal.query(on: app.db).sort(\.$registeredAt, .descending).first())
            #expect(done.body.string.contains(appeal.number))
            #expect(appeal.channel == .widget && appeal.source == Self.site)
            #expect(appeal.$territory.id == territory.id)
            #expect(appeal.email == "igor@example.ru")
        }
    }

    @Test func anUnknownOrganisationOrAnUnlistedSiteGetsAClearMessage() async throws {
        try await withApp(demo: true) { app in
            let (department, _) = try await Self.department(app)
            _ = try await Self.allow(app, Self.site, organisation: department.id)
            let unknown = try await app.testing().sendRequest(.GET, "/widget/form?org=\(UUID())&site=\(Browser.encode(Self.site))")
            #expect(unknown.status == .notFound)
            #expect(unknown.body.string.contains("Организация не найдена"))
            let garbage = try await app.testing().sendRequest(.GET, "/widget/form?org=%3Cscript%3E&site=x")
            #expect(garbage.status == .notFound && !garbage.body.string.contains("<script>"))
            let unlisted = try await app.testing().sendRequest(
                .GET, "/widget/form?org=\(try department.requireID())&site=\(Browser.encode("https://other.example"))")
            #expect(unlisted.status == .forbidden)
            #expect(unlisted.body.string.contains("не разрешено встраивать"))
            #expect(unlisted.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors 'self';") == true)
        }
    }
}
