import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

/// The web-facing defences as a whole: headers on every kind of response, cookies behind a proxy,
/// templates that the content policy lets work, and the public endpoints' rate limits.
@Suite("Web security", .serialized)
struct WebSecurityTests {
    @Test func everyKindOfResponseCarriesTheSecurityHeaders() async throws {
        try await withApp(demo: true) { app in
            let browser = try Browser(app)
            let api = try API(app)
            let responses: [(String, TestingHTTPResponse)] = [
                ("page", try await browser.get("/")),
                ("missing page", try await browser.get("/no-such-page")),
                ("API", try await api.send(.GET, "/api/v1/classifier")),
                ("API error", try await api.send(.GET, "/api/v1/appeals")),
                ("static file", try await browser.get("/js/app.js")),
            ]
            for (kind, response) in responses {
                let policy = try #require(response.headers.first(name: "Content-Security-Policy"), "\(kind)")
                #expect(policy.contains("script-src 'self'"), "\(kind)")
                #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"), "\(kind): \(policy)")
                #expect(policy.contains("frame-ancestors 'none'"), "\(kind)")
                #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff", "\(kind)")
                #expect(response.headers.first(name: "Referrer-Policy") == "no-referrer", "\(kind)")
                #expect(response.headers.first(name: "X-Frame-Options") == "DENY", "\(kind)")
                #expect(response.headers.first(name: "Strict-Transport-Security") == nil, "\(kind): plain HTTP gets no HSTS")
            }
        }
    }

    /// The content policy forbids inline script and style: a template that used them would silently
    /// lose its behaviour in every browser.
    @Test func templatesHaveNoInlineScriptHandlersOrStyles() throws {
        let views = packageRoot + "Resources/Views"
        let files = try FileManager.default.subpathsOfDirectory(atPath: views).filter { $0.hasSuffix(".leaf") }
        #expect(files.count > 50)
        let forbidden: [(String, String)] = [
            (#"<script(?![^>]*\bsrc=)[^>]*>"#, "an inline <script>"),
            (#"\son[a-z]+\s*="#, "an inline event handler"),
            (#"\sstyle\s*="#, "a style attribute"),
            (#"<style"#, "a <style> element"),
            (#"javascript:"#, "a javascript: URL"),
        ]
        for file in files {
            let text = try String(contentsOfFile: views + "/" + file, encoding: .utf8)
            for (pattern, what) in forbidden {
                #expect(text.range(of: pattern, options: [.regularExpression, .caseInsensitive]) == nil, "\(file) has \(what)")
            }
        }
    }

    @Test func cookiesAreSecureOnlyWhenATrustedProxySaysHTTPS() async throws {
        let https: HTTPHeaders = ["X-Forwarded-Proto": "https"]
        // Trusted proxy, HTTPS: Secure cookies and HSTS.
        try await withApp(demo: true, configure: { $0.trustForwardedFor = true }) { app in
            let browser = try Browser(app)
            let form = try await browser.get("/login", headers: https)
            #expect(form.headers[.setCookie].allSatisfy { $0.contains("Secure") && $0.contains("HttpOnly") && $0.contains("SameSite=Lax") })
            #expect(form.headers.first(name: "Strict-Transport-Security") != nil)
            let signIn = try await browser.post(
                "/login", form: [("login", "citizen@consumerdesk.test"), ("password", "demo2026")], headers: https)
            #expect(signIn.status == .seeOther)
            let session = try #require(signIn.headers[.setCookie].first { $0.hasPrefix("cd_session=") })
            #expect(session.contains("Secure") && session.contains("HttpOnly"))
            // The same proxy over plain HTTP: not Secure (the browser would drop the cookie).
            let plain = try await Browser(app).get("/login", headers: ["X-Forwarded-Proto": "http"])
            #expect(plain.headers[.setCookie].allSatisfy { !$0.contains("Secure") })
        }
        // Without a trusted proxy the header is anybody's word: ignored.
        try await withApp(demo: true) { app in
            let form = try await Browser(app).get("/login", headers: https)
            #expect(!form.headers[.setCookie].isEmpty)
            #expect(form.headers[.setCookie].allSatisfy { !$0.contains("Secure") && $0.contains("HttpOnly") })
            #expect(form.headers.first(name: "Strict-Transport-Security") == nil)
        }
    }

    func appealBody(_ app: Application, _ text: String) async throws -> AppealBody {
        let territory = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-volgograd").first()?.id)
        return AppealBody(
            fields: [
                "subcategoryCode": "trade-refund-defective", "territoryId": territory.uuidString, "text": text,
                "conflictName": "ООО «Ромашка»",
            ],
            answers: ["purchaseDate": "2026-10-01", "claimFiled": "да"])
    }

    @Test func submissionsAreLimitedPerCitizenButNotForStaff() async throws {
        try await withApp(demo: true) { app in
            let now = Date()
            app.clock = AppClock { now }  // no refill while the test runs
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            for index in 1...20 {
                let response = try await citizen.send(.POST, "/api/v1/appeals", json: try await appealBody(app, "Жалоба номер \(index) на продавца."))
                #expect(response.status == .created, "\(index): \(response.body.string)")
            }
            let refused = try await citizen.send(.POST, "/api/v1/appeals", json: try await appealBody(app, "Жалоба номер 21 на продавца."))
            #expect(refused.status == .tooManyRequests)
            let wait = try #require(refused.headers.first(name: .retryAfter).flatMap(Int.init))
            #expect(wait > 0 && wait <= 180)
            #expect(refused.body.string.contains("Too many requests"))
            #expect(try await Appeal.query(on: app.db).count() == 20, "the refused one is not saved")

            // The portal form counts for the same account, and says so in Russian.
            let browser = try Browser(app)
            try await browser.signIn("citizen@consumerdesk.test")
            let form = try await browser.post("/appeals", form: [("subcategoryCode", "trade-refund-defective")])
            #expect(form.status == .tooManyRequests)
            #expect(form.headers.first(name: .retryAfter) != nil)
            #expect(form.body.string.contains("Слишком много"))

            // An operator registering calls on people's behalf is not limited.
            let operatorAPI = try await API.signedIn(app, "operator@consumerdesk.test")
            var body = try await appealBody(app, "Звонок на горячую линию: продавец не вернул деньги.")
            body.fields["surname"] = "Петров"
            body.fields["name"] = "Пётр"
            body.fields["phone"] = "+7 902 000-00-00"
            let staff = try await operatorAPI.send(.POST, "/api/v1/appeals", json: body)
            #expect(staff.status != .tooManyRequests, "\(staff.body.string)")
        }
    }

    @Test func searchAndRegistrationAreLimitedPerAddress() async throws {
        try await withApp(demo: true) { app in
            let now = Date()
            app.clock = AppClock { now }  // no refill while the test runs
            let api = try API(app)
            for _ in 1...60 { #expect(try await api.send(.GET, "/api/v1/search?q=возврат").status == .ok) }
            let search = try await api.send(.GET, "/api/v1/search?q=возврат")
            #expect(search.status == .tooManyRequests)
            #expect(search.headers.first(name: .retryAfter) == "1")

            // Sign-in has its own throttle of failures per account and address (SignInTests).

            for index in 1...5 {
                let response = try await api.send(.POST, "/api/v1/auth/register", json: ["email": "new\(index)@example.test"])
                #expect(response.status == .unprocessableEntity, "an incomplete form, counted all the same")
            }
            let register = try await api.send(.POST, "/api/v1/auth/register", json: ["email": "new6@example.test"])
            #expect(register.status == .tooManyRequests)
            #expect(try await User.query(on: app.db).filter(\.$email == "new6@example.test").count() == 0)
        }
    }

    @Test func limitsCanBeLiftedForLoadTests() async throws {
        #expect(try AppConfig.fromEnvironment(["RATE_LIMITS": "off"]).rateLimits == false)
        #expect(try AppConfig.fromEnvironment([:]).rateLimits)
        try await withApp(demo: true, configure: { $0.rateLimits = false }) { app in
            let api = try API(app)
            for _ in 1...70 { #expect(try await api.send(.GET, "/api/v1/search?q=возврат").status == .ok) }
        }
    }
}
