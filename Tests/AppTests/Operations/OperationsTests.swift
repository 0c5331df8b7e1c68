import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

@Suite("Operations and pages", .serialized)
struct OperationsTests {
    @Test func healthEndpointsAnswer() async throws {
        try await withApp { app in
            let tester = try app.testing()
            try await tester.test(.GET, "/health/live") { response in
                #expect(response.status == .ok)
            }
            try await tester.test(.GET, "/health/ready") { response in
                #expect(response.status == .ok)
                #expect(response.body.string.contains("\"database\":\"ok\""))
            }
        }
    }

    @Test func metricsCountRequestsInPrometheusFormat() async throws {
        try await withApp { app in
            let tester = try app.testing()
            _ = try await tester.sendRequest(.GET, "/health/live")
            let response = try await tester.sendRequest(.GET, "/metrics")
            #expect(response.status == .ok)
            let text = response.body.string
            #expect(text.contains("# TYPE http_requests_total counter"))
            #expect(text.contains("http_requests_total{method=\"GET\",route=\"/health/live\",status=\"200\"} 1"))
            #expect(text.contains("http_request_duration_seconds_bucket"))
            #expect(text.contains("mail_outbox_pending 0"))
        }
    }

    @Test func metricsCanBeClosedWithAToken() async throws {
        try await withApp(configure: { $0.metricsToken = "scrape-secret" }) { app in
            let tester = try app.testing()
            #expect(try await tester.sendRequest(.GET, "/metrics").status == .unauthorized)
            var headers = HTTPHeaders()
            headers.bearerAuthorization = BearerAuthorization(token: "scrape-secret")
            #expect(try await tester.sendRequest(.GET, "/metrics", headers: headers).status == .ok)
        }
    }

    @Test func requestIdIsReturnedAndAcceptedFromAProxy() async throws {
        try await withApp { app in
            let tester = try app.testing()
            let own = try await tester.sendRequest(.GET, "/health/live")
            #expect((own.headers.first(name: "X-Request-Id") ?? "").count > 8)
            let given = try await tester.sendRequest(.GET, "/health/live", headers: ["X-Request-Id": "abc-123"])
            #expect(given.headers.first(name: "X-Request-Id") == "abc-123")
        }
    }

    @Test func homePageRendersInRussian() async throws {
        try await withApp(demo: true) { app in
            let response = try await Browser(app).get("/")
            #expect(response.status == .ok)
            let html = response.body.string
            #expect(html.contains("<html lang=\"ru\">"))
            #expect(html.contains("Защита прав потребителей"))
            #expect(html.contains("Туристические услуги"))
            #expect(html.contains("id=\"login-link\""))
        }
    }

    @Test func unknownPagesGetARussian404AndTheAPIJSON() async throws {
        try await withApp { app in
            let page = try await Browser(app).get("/no-such-page")
            #expect(page.status == .notFound)
            #expect(page.body.string.contains("Страница не найдена"))
            let api = try await API(app).send(.GET, "/api/v1/no-such-thing")
            #expect(api.status == .notFound)
            #expect(try api.content.decode(APIErrorBody.self).error)
        }
    }

    @Test func configurationIsReadFromTheEnvironment() throws {
        let config = try AppConfig.fromEnvironment([
            "HOST": "0.0.0.0", "PORT": "9090", "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/db",
            "SMTP_HOST": "mail.local", "SMTP_PORT": "2525", "SMTP_SECURITY": "none", "PUBLIC_URL": "https://zpp.example/",
        ])
        #expect(config.host == "0.0.0.0")
        #expect(config.port == 9090)
        #expect(config.database == .postgres(url: "postgres://u:p@127.0.0.1:5432/db"))
        #expect(config.demo == false, "demo data only by default on SQLite")
        #expect(config.smtp?.port == 2525)
        #expect(config.smtp?.security == SMTPSettings.Security.none)
        #expect(config.publicURL == "https://zpp.example")
        #expect(try AppConfig.fromEnvironment(["HOST": "0.0.0.0"]).demo == false, "no published passwords off loopback")
        #expect(try AppConfig.fromEnvironment(["HOST": "0.0.0.0", "DEMO": "true"]).demo)
        #expect(try AppConfig.fromEnvironment(["PUBLIC_URL": "https://zpp.example"]).demo == false)
        #expect(try AppConfig.fromEnvironment(["TRUST_FORWARDED_FOR": "true"]).demo == false)
        let defaults = try AppConfig.fromEnvironment([:])
        #expect(defaults.database == .sqliteFile(path: "data/consumerdesk.sqlite"))
        #expect(defaults.demo)
        #expect(defaults.port == 8080)
        #expect(throws: ConfigError.self) { try AppConfig.fromEnvironment(["PORT": "eighty"]) }
        #expect(throws: ConfigError.self) { try AppConfig.fromEnvironment(["DATABASE_URL": "mysql://x"]) }
        #expect(throws: ConfigError.self) { try AppConfig.fromEnvironment(["SMTP_HOST": "x", "SMTP_SECURITY": "ssl3"]) }
        #expect(defaults.mailLease == 15 * 60)
        #expect(try AppConfig.fromEnvironment(["MAIL_LEASE_SECONDS": "5"]).mailLease == 5)
        #expect(throws: ConfigError.self) { try AppConfig.fromEnvironment(["MAIL_LEASE_SECONDS": "0"]) }
        #expect(throws: ConfigError.self) { try AppConfig.fromEnvironment(["MAIL_LEASE_SECONDS": "soon"]) }
    }
}

@Suite("Russian wording")
struct WordingTests {
    @Test func termsAgreeWithTheirNumbers() {
        #expect(Strings.term(1, .working) == "1 рабочий день")
        #expect(Strings.term(3, .working) == "3 рабочих дня")
        #expect(Strings.term(10, .working) == "10 рабочих дней")
        #expect(Strings.term(21, .calendar) == "21 календарный день")
        #expect(Strings.term(30, .calendar) == "30 календарных дней")
    }
}
