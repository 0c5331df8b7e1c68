import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

@Suite("Sign-in, sessions and tokens", .serialized)
struct SignInTests {
    @Test func demoAccountsSignInThroughTheForm() async throws {
        try await withApp(demo: true) { app in
            for account in DemoData.accounts {
                let browser = try Browser(app)
                try await browser.signIn(account.email)
                let page = try await browser.get("/account")
                #expect(page.status == .ok)
                #expect(page.body.string.contains("\(account.surname) \(account.name)"))
            }
        }
    }

    @Test func sessionCookieIsHttpOnlyAndLax() async throws {
        try await withApp(demo: true) { app in
            let browser = try Browser(app)
            let response = try await browser.post("/login", form: [("login", "admin@consumerdesk.test"), ("password", "demo2026")])
            let cookie = try #require(response.headers[.setCookie].first { $0.hasPrefix("cd_session=") })
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(response.location == "/account")
        }
    }

    @Test func formsWithoutTheCSRFValueAreRefused() async throws {
        try await withApp(demo: true) { app in
            let browser = try Browser(app)
            let response = try await browser.post(
                "/login", form: [("login", "admin@consumerdesk.test"), ("password", "demo2026")], csrf: "forged")
            #expect(response.status == .forbidden)
            #expect(response.body.string.contains("Форма устарела"))
            #expect(try await SessionRow.query(on: app.db).count() == 0)
        }
    }

    @Test func signedInFormsNeedTheSessionBoundValueNotJustAMatchingCookie() async throws {
        try await withApp(demo: true) { app in
            let browser = try Browser(app)
            try await browser.signIn("admin@consumerdesk.test")
            // An attacker who can plant cookies sets cd_csrf and submits the same value.
            let planted = String(repeating: "a", count: 43)
            browser.cookies["cd_csrf"] = planted
            let forged = try await browser.post("/logout", form: [], csrf: planted)
            #expect(forged.status == .forbidden)
            let page = try await browser.get("/account")
            #expect(page.status == .ok, "still signed in")
            #expect(page.body.string.contains(CSRFMiddleware.token(forSessionKey: try #require(browser.cookies["cd_session"]))))
            #expect(try await browser.post("/logout", form: []).status == .seeOther)
        }
    }

    @Test func aFormFromAnExpiredSessionLeadsToSignInNotAnError() async throws {
        try await withApp(demo: true) { app in
            let browser = try Browser(app)
            try await browser.signIn("admin@consumerdesk.test")
            try await SessionRow.query(on: app.db).delete()  // the session ended meanwhile
            let response = try await browser.post("/admin/organisations", form: [("name", "X"), ("kind", "partner")])
            #expect(response.status == .seeOther)
            #expect(response.location?.hasPrefix("/login") == true)
            #expect(browser.cookies["cd_session"] == nil, "the dead cookie is cleared")
        }
    }

    @Test func signingInAgainAfterTheSessionExpiredWorksFirstTime() async throws {
        try await withApp(demo: true) { app in
            let browser = try Browser(app)
            try await browser.signIn("admin@consumerdesk.test")
            let stale = try #require(browser.cookies["cd_session"])
            try await SessionRow.query(on: app.db).delete()
            let page = try await browser.get("/login")
            #expect(!page.body.string.contains(CSRFMiddleware.token(forSessionKey: stale)), "the page shows the anonymous value")
            browser.cookies["cd_session"] = stale  // a browser that still sends the dead cookie
            let token = try #require(browser.cookies["cd_csrf"])
            let response = try await browser.post(
                "/login", form: [("login", "admin@consumerdesk.test"), ("password", "demo2026")], csrf: token)
            #expect(response.status == .seeOther)
        }
    }

    @Test func demoAccountsAreBlockedWhenDemoModeIsOff() async throws {
        try await withApp(demo: true) { app in
            try await DemoData.setAccountsActive(false, on: app.db, logger: app.logger)
            let response = try await Browser(app).post("/login", form: [("login", "admin@consumerdesk.test"), ("password", "demo2026")])
            #expect(response.status == .forbidden)
            try await DemoData.setAccountsActive(true, on: app.db, logger: app.logger)
            try await Browser(app).signIn("admin@consumerdesk.test")
        }
    }

    @Test func responsesCarrySecurityHeaders() async throws {
        try await withApp { app in
            let response = try await Browser(app).get("/login")
            #expect(response.headers.first(name: "X-Frame-Options") == "DENY")
            #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(response.headers.first(name: "Referrer-Policy") == "no-referrer")
            #expect(response.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
        }
    }

    @Test func onlyLocalNextPathsAreFollowed() async throws {
        try await withApp(demo: true) { app in
            for next in ["//evil.example/", "/\t/evil.example", "/\n/evil.example", "/\\/evil.example", "https://evil.example",
                         "/ /evil.example"] {
                let evil = try await Browser(app).post(
                    "/login", form: [("login", "admin@consumerdesk.test"), ("password", "demo2026"), ("next", next)])
                #expect(evil.location == "/account", "next=\(next.debugDescription)")
            }
            let good = try await Browser(app).post(
                "/login", form: [("login", "admin@consumerdesk.test"), ("password", "demo2026"), ("next", "/admin/organisations")])
            #expect(good.location == "/admin/organisations")
        }
    }

    @Test func sixthWrongPasswordIsThrottledOnTheFormAndTheAPI() async throws {
        try await withApp(demo: true) { app in
            let browser = try Browser(app)
            for _ in 1...5 {
                let response = try await browser.post("/login", form: [("login", "executor@consumerdesk.test"), ("password", "wrong-1")])
                #expect(response.status == .unauthorized)
                #expect(response.body.string.contains("Неверный логин или пароль."))
            }
            let sixth = try await browser.post("/login", form: [("login", "executor@consumerdesk.test"), ("password", "demo2026")])
            #expect(sixth.status == .tooManyRequests)
            #expect(Int(sixth.headers.first(name: .retryAfter) ?? "") ?? 0 > 0)
            #expect(sixth.body.string.contains("Слишком много неудачных попыток"))

            let api = try await API(app).send(
                .POST, "/api/v1/auth/token", json: ["login": "executor@consumerdesk.test", "password": "demo2026"])
            #expect(api.status == .tooManyRequests)
            #expect(api.headers.first(name: .retryAfter) != nil)
            #expect(try api.content.decode(APIErrorBody.self).reason.contains("Too many failed sign-in attempts"))

            // Other accounts are unaffected, and the lock lifts when the window has passed.
            try await Browser(app).signIn("manager@consumerdesk.test")
            let later = Date().addingTimeInterval(16 * 60)
            app.clock = AppClock { later }
            try await Browser(app).signIn("executor@consumerdesk.test")
        }
    }

    @Test func parallelGuessesCannotSlipPastTheLimit() async throws {
        try await withApp(demo: true) { app in
            let api = try API(app)
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        try await api.send(
                            .POST, "/api/v1/auth/token",
                            json: ["login": "editor@consumerdesk.test", "password": "guess-\(index)"]
                        ).status
                    }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .unauthorized }.count <= SignInThrottle.perAccount.limit)
            #expect(statuses.filter { $0 == .tooManyRequests }.count >= 12 - SignInThrottle.perAccount.limit)
        }
    }

    @Test func signingInByPhoneCountsAgainstTheSameAccount() async throws {
        try await withApp(demo: true) { app in
            let api = try API(app)
            for _ in 1...3 {
                _ = try await api.send(.POST, "/api/v1/auth/token", json: ["login": "citizen@consumerdesk.test", "password": "x"])
            }
            for _ in 1...2 {
                _ = try await api.send(.POST, "/api/v1/auth/token", json: ["login": "+79171234567", "password": "x"])
            }
            let sixth = try await api.send(.POST, "/api/v1/auth/token", json: ["login": "89171234567", "password": "demo2026"])
            #expect(sixth.status == .tooManyRequests)
        }
    }

    @Test func ipv6AddressesAreGroupedBySubscriberPrefix() {
        #expect(Request.ipv6Prefix64("2001:db8:1:2::5") == "2001:db8:1:2::/64")
        #expect(Request.ipv6Prefix64("2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64")
        #expect(Request.ipv6Prefix64("::1") == "0:0:0:0::/64")
        #expect(Request.ipv6Prefix64("not:an:address") == nil)
    }

    @Test func oneAddressCannotSweepManyAccounts() async throws {
        try await withApp(demo: true, configure: { $0.trustForwardedFor = true }) { app in
            let api = try API(app)
            let headers: HTTPHeaders = ["X-Forwarded-For": "203.0.113.7"]
            for index in 0..<SignInThrottle.perAddress.limit {
                let response = try await api.send(
                    .POST, "/api/v1/auth/token", json: ["login": "nobody\(index)@example.test", "password": "x"], headers: headers)
                #expect(response.status == .unauthorized)
            }
            let blocked = try await api.send(
                .POST, "/api/v1/auth/token", json: ["login": "admin@consumerdesk.test", "password": "demo2026"], headers: headers)
            #expect(blocked.status == .tooManyRequests)
            let elsewhere = try await api.send(
                .POST, "/api/v1/auth/token", json: ["login": "admin@consumerdesk.test", "password": "demo2026"],
                headers: ["X-Forwarded-For": "198.51.100.1"])
            #expect(elsewhere.status == .ok)
            // A client cannot escape by prepending addresses: the proxy's (last) entry counts.
            let spoofed = try await api.send(
                .POST, "/api/v1/auth/token", json: ["login": "admin@consumerdesk.test", "password": "demo2026"],
                headers: ["X-Forwarded-For": "10.9.8.7, 203.0.113.7"])
            #expect(spoofed.status == .tooManyRequests)
        }
    }

    @Test func withoutSessionPagesRedirectToSignInAndTheAPIAnswers401() async throws {
        try await withApp(demo: true) { app in
            let page = try await Browser(app).get("/admin/organisations")
            #expect(page.status == .seeOther)
            #expect(page.location == "/login?next=%2Fadmin%2Forganisations")
            let api = try await API(app).send(.GET, "/api/v1/me")
            #expect(api.status == .unauthorized)
            #expect(try api.content.decode(APIErrorBody.self).reason == "Authentication required")
            let forged = try await API(app, token: "not-a-token").send(.GET, "/api/v1/organisations")
            #expect(forged.status == .unauthorized)
        }
    }

    @Test func tokensExpireAndCanBeRevoked() async throws {
        try await withApp(demo: true) { app in
            let api = try await API.signedIn(app, "coordinator@consumerdesk.test")
            let me = try await api.send(.GET, "/api/v1/me")
            #expect(me.status == .ok)
            #expect(try me.content.decode(UserDTO.self).email == "coordinator@consumerdesk.test")
            #expect(try await APIToken.query(on: app.db).first()?.tokenHash != api.token, "only the hash is stored")

            #expect(try await api.send(.DELETE, "/api/v1/auth/token").status == .noContent)
            #expect(try await api.send(.GET, "/api/v1/me").status == .unauthorized)

            let second = try await API.signedIn(app, "coordinator@consumerdesk.test")
            let later = Date().addingTimeInterval(app.config.tokenLifetime + 60)
            app.clock = AppClock { later }
            #expect(try await second.send(.GET, "/api/v1/me").status == .unauthorized)
        }
    }

    @Test func wrongPasswordOnTheAPIIs401WithReason() async throws {
        try await withApp(demo: true) { app in
            let response = try await API(app).send(
                .POST, "/api/v1/auth/token", json: ["login": "admin@consumerdesk.test", "password": "nope"])
            #expect(response.status == .unauthorized)
            #expect(try response.content.decode(APIErrorBody.self).reason == "Invalid login or password")
            let missing = try await API(app).send(.POST, "/api/v1/auth/token", json: ["login": ""])
            #expect(missing.status == .unprocessableEntity)
            #expect(Set(try missing.content.decode(APIErrorBody.self).fields?.map(\.field) ?? []) == ["login", "password"])
        }
    }
}

@Suite("Sessions survive a restart", .serialized)
struct RestartTests {
    /// Two application instances over one database, as after a restart: the cookie and the token
    /// issued by the first work with the second.
    @Test func sessionAndTokenWorkAfterRestart() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cd-restart-\(UUID()).sqlite").path
        let schema = "t_restart_" + UUID().uuidString.prefix(8).lowercased()
        func make() -> AppConfig {
            var config: AppConfig
            if let url = TestDatabase.postgresURL {
                config = .testing(database: .postgres(url: url))
                config.postgresSearchPath = [schema]
            } else {
                config = .testing(database: .sqliteFile(path: file))
            }
            config.workingDirectory = packageRoot
            config.demo = true
            return config
        }
        var cookies: [String: String] = [:]
        var token = ""
        do {
            let first = try await Application.make(.testing)
            try await App.configure(first, make())
            let browser = try Browser(first)
            try await browser.signIn("curator@consumerdesk.test")
            cookies = browser.cookies
            token = try #require(try await API.signedIn(first, "curator@consumerdesk.test").token)
            try await first.asyncShutdown()
        }
        let second = try await Application.make(.testing)
        try await App.configure(second, make())
        let browser = try Browser(second)
        browser.cookies = cookies
        let page = try await browser.get("/account")
        #expect(page.status == .ok)
        #expect(page.body.string.contains("Смирнова Наталья"))
        #expect(try await API(second, token: token).send(.GET, "/api/v1/me").status == .ok)
        if TestDatabase.postgresURL != nil, let sql = second.db as? any SQLDatabase {
            try await sql.raw("DROP SCHEMA IF EXISTS \(ident: schema) CASCADE").run()
        }
        try await second.asyncShutdown()
        try? FileManager.default.removeItem(atPath: file)
    }
}

@Suite("Housekeeping", .serialized)
struct HousekeepingTests {
    @Test func removesExpiredSessionsAndOldFailuresButKeepsLiveOnes() async throws {
        try await withApp(demo: true) { app in
            try await Browser(app).signIn("admin@consumerdesk.test")
            _ = try await Browser(app).post("/login", form: [("login", "admin@consumerdesk.test"), ("password", "wrong")])
            #expect(try await Housekeeping.run(on: app.db, now: Date()) == Housekeeping.Report())
            #expect(try await SessionRow.query(on: app.db).count() == 1)

            let later = Date().addingTimeInterval(2 * 24 * 3600)
            let report = try await Housekeeping.run(on: app.db, now: later)
            #expect(report.sessions == 1)
            #expect(report.failures == 2, "one for the account, one for the address")
            #expect(try await SessionRow.query(on: app.db).count() == 0)
        }
    }
}
