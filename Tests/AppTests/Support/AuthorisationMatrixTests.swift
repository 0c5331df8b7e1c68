import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

/// The authorisation matrix (issue 11): every route of the application × every demo role and an
/// anonymous caller × an object of the caller's own organisation and of another, checked against the
/// rules kept beside the policy (`RouteAccess.routes`). A refusal is 401, 403, a 404 that hides, or a
/// redirect to sign-in; anything else (a page, 400, 409, 422…) means the caller got past the gate.
@Suite("Authorisation matrix", .serialized)
struct AuthorisationMatrixTests {
    static func key(_ route: Route) -> String {
        "\(route.method.rawValue) /" + route.path.map(\.description).joined(separator: "/")
    }

    @Test func everyRouteHasARuleAndEveryRuleARoute() async throws {
        try await withApp { app in
            let keys = Set(app.routes.all.map(Self.key))
            let missing = keys.subtracting(RouteAccess.routes.keys).sorted()
            let stale = Set(RouteAccess.routes.keys).subtracting(keys).sorted()
            #expect(missing.isEmpty, "routes without a rule in RouteAccess.routes: \(missing)")
            #expect(stale.isEmpty, "rules for routes that do not exist: \(stale)")
            #expect(keys.count > 250)
        }
    }

    /// A demo account (or nobody), signed in both ways: a browser session for pages, a token for the API.
    struct Caller {
        var name: String
        var browser: Browser
        var api: API
        var actor: Domain.Actor?
    }

    /// The objects a route's path can name, one set in each of two organisations.
    struct Fixture {
        var label: String
        var organisation: UUID
        var appeal: String
        var appealOwner: UUID
        var attachment: UUID
        var thread: UUID
        var user: UUID
        var grant: UUID
        var event: UUID
        var eventSlug: String
        var chat: UUID = UUID()
        var tag: String
        var widgetOrigin: String { "https://matrix-\(organisation.uuidString.prefix(8).lowercased()).example" }
    }

    static func organisationID(_ key: String, on app: Application) async throws -> UUID {
        let name = try #require(DemoData.organisations.first { $0.key == key }).name
        return try #require(try await Organisation.query(on: app.db).filter(\.$name == name).first()?.id)
    }

    static func fixture(_ key: String, label: String, app: Application, citizen: API, admin: API) async throws -> Fixture {
        let organisation = try await organisationID(key, on: app)
        let territory = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-volgograd").first()?.id)
        let form = Multipart(
            fields: [
                ("subcategoryCode", "trade-refund-defective"), ("territoryId", territory.uuidString),
                ("text", "Телефон сломался через неделю, продавец не принимает претензию (\(label))."),
                ("surname", "Иванова"), ("name", "Мария"), ("email", "citizen@consumerdesk.test"),
                ("answers[purchaseDate]", "2026-10-01"), ("answers[claimFiled]", "да"), ("consent", "1"),
            ],
            files: [.init(field: "attachments[]", filename: "чек.png", contentType: "image/png", data: SampleFiles.png)])
        let filed = try await citizen.send(.POST, "/api/v1/appeals", multipart: form)
        #expect(filed.status == .created, "\(filed.body.string)")
        let number = try filed.content.decode(AppealDTO.self).number
        let appeal = try #require(try await Appeal.query(on: app.db).filter(\.$number == number).first())
        appeal.$executorOrganisation.id = organisation
        try await appeal.save(on: app.db)
        let attachment = try #require(try await AppealAttachment.query(on: app.db).filter(\.$appeal.$id == appeal.requireID()).first()?.id)
        let thread = try await admin.send(.POST, "/api/v1/messages/appeal/\(number)")
        #expect(thread.status == .ok || thread.status == .created, "\(thread.body.string)")
        let threadID = try thread.content.get(UUID.self, at: "id")

        let user = User(
            name: PersonName(surname: "Проверочный", name: label, patronymic: nil), email: "matrix.\(key)@consumerdesk.test",
            phone: nil, passwordHash: try await app.password.async.hash("matrix-\(key)"))
        try await user.create(on: app.db)
        let grant = RoleGrant(userID: try user.requireID(), grant: Grant(role: .executor, organisationID: organisation), grantedBy: nil)
        try await grant.create(on: app.db)

        let event = Event()
        event.slug = "matrix-\(key)"
        event.audience = .public
        event.format = .seminar
        event.status = .published
        event.title = "Семинар (\(label))"
        event.description = "Проверка доступа."
        event.place = "Волгоград"
        event.startsAt = Date().addingTimeInterval(30 * 86_400)
        event.endsAt = Date().addingTimeInterval(30 * 86_400 + 7_200)
        event.capacity = 50
        event.confirmedCount = 0
        event.sequence = 0
        event.createdAt = Date()
        event.updatedAt = Date()
        try await event.create(on: app.db)
        try await EventOrganiser(event: try event.requireID(), organisation: organisation).create(on: app.db)

        let chat = try await API(app).send(.POST, "/api/v1/consultations/start", json: ["name": "Гость", "text": "Вопрос о возврате (\(label))"])
        #expect(chat.status == .created, "\(chat.body.string)")

        return Fixture(
            label: label, organisation: organisation, appeal: number, appealOwner: try #require(appeal.userID),
            attachment: attachment, thread: threadID, user: try user.requireID(), grant: try grant.requireID(),
            event: try event.requireID(), eventSlug: event.slug, chat: try chat.content.get(UUID.self, at: "id"),
            tag: key == "to-volzhsky" ? "tv" : "av")
    }

    /// Fixtures a previous route may have spent (a grant revoked, a person blocked) are put back.
    static func restore(_ fixture: Fixture, app: Application) async throws {
        if try await RoleGrant.find(fixture.grant, on: app.db) == nil {
            let grant = RoleGrant(userID: fixture.user, grant: Grant(role: .executor, organisationID: fixture.organisation), grantedBy: nil)
            grant.id = fixture.grant
            try await grant.create(on: app.db)
        }
        try await User.query(on: app.db).filter(\.$id == fixture.user).set(\.$isActive, to: true).update()
        if try await WidgetSite.query(on: app.db).filter(\.$origin == fixture.widgetOrigin).count() == 0 {
            let site = WidgetSite()
            site.origin = fixture.widgetOrigin
            site.$organisation.id = fixture.organisation
            site.createdAt = Date()
            try await site.create(on: app.db)
        }
    }

    /// The first row's id of a table, if it has any.
    static func firstID(_ table: String, app: Application) async throws -> UUID? {
        let sql = try #require(app.db as? any SQLDatabase)
        return try await sql.select().column("id").from(table).orderBy("id").limit(1).first()?.decode(column: "id", as: UUID.self)
    }

    /// The path of a route with its parameters filled for this fixture. `missing` says some object it
    /// names does not exist in the demo data (the value names nothing): allowed callers may then get 404.
    static func path(_ route: Route, key: String, fixture: Fixture, app: Application) async throws -> (String, missing: Bool) {
        var missing = false
        let prefix = "/" + route.path.map(\.description).joined(separator: "/")
        func first(_ table: String) async throws -> String {
            if let id = try await firstID(table, app: app) { return id.uuidString }
            missing = true
            return UUID().uuidString
        }
        var parts: [String] = []
        for component in route.path {
            guard case .parameter(let name) = component else {
                parts.append(component.description)
                continue
            }
            let value: String
            switch name {
            case "number" where prefix.hasPrefix("/editor/articles"): value = "1"
            case "number": value = fixture.appeal
            case "user": value = fixture.user.uuidString
            case "grantId": value = fixture.grant.uuidString
            case "token": value = String(repeating: "ab12", count: 8)
            case "score": value = "5"
            case "format": value = "json"
            case "code": value = "trade-refund-defective"
            case "type": value = ClaimType.allCases[0].rawValue
            case "material":
                value = try await EventMaterial.query(on: app.db).first()?.id?.uuidString ?? {
                    missing = true
                    return UUID().uuidString
                }()
            case "file":
                if prefix.hasPrefix("/open311/v2/services") { value = "trade-refund-defective.json" }
                else if prefix.hasPrefix("/open311/v2/requests") { value = "\(fixture.appeal).json" }
                else if prefix.hasPrefix("/open311/v2/tokens") { value = "\(UUID().uuidString).json" }
                else { value = route.method == .POST ? "requests.json" : "services.json" }
            case "sphere", "slug":
                if prefix.hasPrefix("/faq") || prefix.hasPrefix("/api/v1/faq") {
                    value = try #require(try await FAQEntry.query(on: app.db).filter(\.$status == "published").first()?.slug)
                } else if prefix.hasPrefix("/news") {
                    value = try #require(try await NewsItem.query(on: app.db).filter(\.$published == true).filter(\.$publishAt <= Date()).first()?.slug)
                } else if prefix.hasPrefix("/events") {
                    value = fixture.eventSlug
                } else {
                    let article = try #require(
                        try await Article.query(on: app.db).filter(\.$status == "published").filter(\.$visibility == "public").sort(\.$slug).first())
                    value = name == "sphere" ? article.sphere : article.slug
                }
            case "id":
                switch true {
                case prefix.hasPrefix("/api/v1/organisations"), prefix.hasPrefix("/admin/organisations"): value = fixture.organisation.uuidString
                case prefix.hasPrefix("/api/v1/users"), prefix.hasPrefix("/admin/users"): value = fixture.user.uuidString
                case prefix.contains("/attachments/"), prefix.contains("/files/"): value = fixture.attachment.uuidString
                case prefix.hasPrefix("/api/v1/messages/channels"), prefix.hasPrefix("/messages"): value = fixture.thread.uuidString
                case prefix.hasPrefix("/editor/events"): value = fixture.event.uuidString
                case prefix.contains("territories"): value = try await first("territories")
                case prefix.contains("routing"): value = try await first("routing_rules")
                case prefix.hasPrefix("/editor/articles"): value = try await first("kb_articles")
                case prefix.hasPrefix("/editor/faq"): value = try await first("faq_entries")
                case prefix.hasPrefix("/editor/news"): value = try await first("news_items")
                case prefix.hasPrefix("/editor/bot/menu"): value = try await first("bot_menu_items")
                case prefix.hasPrefix("/admin/partners"): value = try await first("partner_apps")
                case prefix.hasPrefix("/admin/widget"): value = try await first("widget_sites")
                case prefix.hasPrefix("/admin/webhooks/deliveries"): value = try await first("webhook_deliveries")
                case prefix.hasPrefix("/admin/webhooks"): value = try await first("webhook_subscriptions")
                case prefix.contains("chat"), prefix.contains("consultations"): value = fixture.chat.uuidString
                case prefix.hasPrefix("/stats/archive"): value = try await first("report_archive")
                case prefix.hasPrefix("/desk/rules"):
                    if let rule = try await AssignmentRuleRecord.query(on: app.db).filter(\.$organisation.$id == fixture.organisation).first() {
                        value = try rule.requireID().uuidString
                    } else {
                        missing = true
                        value = UUID().uuidString
                    }
                default:
                    // The bot's unanswered questions and synonyms: none in the demo data.
                    missing = true
                    value = UUID().uuidString
                }
            default:
                Issue.record("\(key): no value for the parameter :\(name)")
                value = "x"
            }
            parts.append(value)
        }
        // Signing in through an external provider answers 404 while none is configured (as here).
        if prefix.hasPrefix("/auth/oidc/start") || prefix.hasPrefix("/auth/oidc/callback") { missing = true }
        return ("/" + parts.joined(separator: "/") + query(key, fixture: fixture), missing)
    }

    /// A query a route needs to name its object.
    static func query(_ key: String, fixture: Fixture) -> String {
        switch key {
        case "GET /widget/form": "?org=\(fixture.organisation.uuidString)&site=\(fixture.widgetOrigin)"
        case "GET /confirm-email": "?token=" + String(repeating: "cd34", count: 8)
        case "GET /desk/team", "GET /desk/rules": "?organisation=\(fixture.organisation.uuidString)"
        default: ""
        }
    }

    /// Fields a route reads to find the organisation it acts in (the rest stays empty: the callers who
    /// get through are answered 422, which is enough here).
    static func fields(_ key: String, fixture: Fixture, app: Application) async throws -> [(String, String)] {
        let org = fixture.organisation.uuidString
        switch key {
        case "POST /api/v1/organisations", "POST /admin/organisations": return [("parentId", org)]
        case "POST /admin/organisations/:id":
            let parent = try await Organisation.find(fixture.organisation, on: app.db)?.$parent.id
            return [("parentId", parent?.uuidString ?? "")]
        case "POST /desk/team/:user", "POST /desk/rules/:id/delete", "POST /desk/rules": return [("organisationId", org)]
        case "POST /widget/form": return [("org", org), ("site", fixture.widgetOrigin), ("subcategory", "trade-refund-defective")]
        case "POST /appeals": return [("subcategoryCode", "trade-refund-defective")]
        default: return []
        }
    }

    static func send(_ method: HTTPMethod, _ path: String, fields: [(String, String)], as caller: Caller) async throws -> TestingHTTPResponse {
        if path.hasPrefix("/api/") {
            var headers: HTTPHeaders = ["Accept": "application/json"]
            if let token = caller.api.token { headers.bearerAuthorization = BearerAuthorization(token: token) }
            switch method {
            case .POST, .PATCH, .PUT:
                headers.contentType = .json
                let body = try JSONSerialization.data(withJSONObject: Dictionary(fields, uniquingKeysWith: { a, _ in a }))
                return try await caller.api.tester.sendRequest(method, path, headers: headers, body: ByteBuffer(data: body))
            default:
                return try await caller.api.tester.sendRequest(method, path, headers: headers)
            }
        }
        switch method {
        // The WebSocket and the widget's frame check that the request comes from this site.
        case .GET: return try await caller.browser.get(path, headers: ["Origin": "http://localhost:8080", "Host": "localhost:8080"])
        case .POST: return try await caller.browser.post(path, form: fields, headers: ["Origin": "http://localhost:8080", "Host": "localhost:8080"])
        default:
            return try await caller.browser.tester.sendRequest(method, path)
        }
    }

    static func refused(_ response: TestingHTTPResponse, _ rule: RouteRule) -> Bool {
        switch response.status {
        case .unauthorized, .forbidden, .notFound: return true
        // A link with a wrong key: «the link does not work».
        case .badRequest where rule == .secret: return true
        case .seeOther, .found, .temporaryRedirect: return response.location?.hasPrefix("/login") ?? false
        default: return false
        }
    }

    static let tablePath = packageRoot + "Sources/Domain/Access/authorisation-matrix.txt"

    /// Compares the expected outcomes with the reviewed table; `UPDATE_AUTHORISATION_MATRIX=1` writes it
    /// instead (then read the diff before committing it).
    static func compare(_ lines: [String], callers: [String]) throws {
        let header = [
            "# The authorisation matrix: what every caller is expected to get from every route, + through, - refused.",
            "# Generated from RouteAccess.routes and Policy by AuthorisationMatrixTests, which checks each cell against",
            "# the running application; reviewed by people. «tv» is an object of ТО в Волжском, «av» one of",
            "# Администрация Волгограда, «--» a route that names no organisation's object.",
            "# Rewrite: UPDATE_AUTHORISATION_MATRIX=1 swift test --filter AuthorisationMatrix, then read the diff.",
            "# route  object  " + callers.joined(separator: " "),
        ]
        let text = (header + lines).joined(separator: "\n") + "\n"
        if ProcessInfo.processInfo.environment["UPDATE_AUTHORISATION_MATRIX"] == "1" {
            try text.write(toFile: tablePath, atomically: true, encoding: .utf8)
            return
        }
        let stored = (try? String(contentsOfFile: tablePath, encoding: .utf8)) ?? ""
        let want = Set(stored.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") })
        let have = Set(lines)
        let changed = have.subtracting(want).sorted().map { "now:    \($0)" } + want.subtracting(have).sorted().map { "table:  \($0)" }
        #expect(
            changed.isEmpty,
            "the expected outcomes differ from \(tablePath) (UPDATE_AUTHORISATION_MATRIX=1 rewrites it):\n\(changed.joined(separator: "\n"))")
    }

    @Test func everyRouteAnswersEveryCallerAsItsRuleSays() async throws {
        try await withApp(demo: true, configure: { $0.rateLimits = false }) { app in
            var callers: [Caller] = [Caller(name: "anonymous", browser: try Browser(app), api: try API(app), actor: nil)]
            for account in DemoData.accounts {
                let browser = try Browser(app)
                try await browser.signIn(account.email)
                let api = try await API.signedIn(app, account.email)
                let user = try #require(try await User.query(on: app.db).filter(\.$email == account.email).first())
                let grants = try await RoleGrant.query(on: app.db).filter(\.$user.$id == user.requireID()).all().map(\.grant)
                let name = String(account.email.prefix { $0 != "@" })
                callers.append(Caller(name: name, browser: browser, api: api, actor: Actor(userID: try user.requireID(), grants: grants)))
            }
            let citizen = try #require(callers.first { $0.name == "citizen" })
            let admin = try #require(callers.first { $0.name == "admin" })
            let fixtures = [
                try await Self.fixture("to-volzhsky", label: "ТО в Волжском", app: app, citizen: citizen.api, admin: admin.api),
                try await Self.fixture("adm-volgograd", label: "Администрация Волгограда", app: app, citizen: citizen.api, admin: admin.api),
            ]
            let news = NewsItem()
            news.slug = "matrix-news"
            news.title = "Новость для проверки доступа"
            news.summary = "Кратко."
            news.body = "Текст."
            news.published = true
            news.publishAt = Date().addingTimeInterval(-3_600)
            news.createdAt = Date()
            news.updatedAt = Date()
            try await news.create(on: app.db)
            let organisations = try await Organisation.query(on: app.db).all()
            let tree = OrganisationQueries.tree(of: organisations)
            let regionWide = Set(organisations.filter { $0.kind == .regionalOffice }.compactMap(\.id))

            // Signing out and revoking one's token go last: they end the callers' sessions.
            let last = ["POST /logout", "DELETE /api/v1/auth/token"]
            let routes = app.routes.all.sorted { (last.firstIndex(of: Self.key($0)) ?? -1) < (last.firstIndex(of: Self.key($1)) ?? -1) }
            var failures: [String] = []
            var checked = 0
            var weak: Set<String> = []
            // The expected outcomes written out, one line per route (and object), to compare with the reviewed
            // table beside the policy: a change of `Policy.rules` moves the handlers and the rules together,
            // but not that table.
            var table: [String] = []
            for route in routes {
                let key = Self.key(route)
                guard let rule = RouteAccess.routes[key] else { continue }  // the other test names it
                // An object of an organisation: once in the callers' own or another organisation each.
                let cases = RouteAccess.subject(of: rule) == nil ? [fixtures[0]] : fixtures
                for fixture in cases {
                    try await Self.restore(fixture, app: app)
                    let (path, missing) = try await Self.path(route, key: key, fixture: fixture, app: app)
                    let fields = try await Self.fields(key, fixture: fixture, app: app)
                    if missing { weak.insert(key) }
                    let subject = RouteAccess.subject(of: rule)
                    let expectations = callers.map { caller -> (Caller, Bool) in
                        let owner: Bool
                        switch subject {
                        case .appeal: owner = caller.actor?.userID == fixture.appealOwner
                        case .user: owner = caller.actor?.userID == fixture.user
                        default: owner = false
                        }
                        let c = RouteAccess.Case(
                            actor: caller.actor, tree: tree, regionWide: regionWide,
                            subjectOrganisation: subject == nil ? nil : fixture.organisation, isOwner: owner)
                        return (caller, RouteAccess.allows(rule, c))
                    }
                    let tag = subject == nil ? "--" : fixture.tag
                    table.append("\(key)  \(tag)  " + expectations.map { $0.1 ? "+" : "-" }.joined(separator: " "))
                    // The refused go first, so a caller who gets through and changes the object (deletes
                    // it, closes it) cannot make a refusal look right.
                    var done = false
                    for (caller, allowed) in expectations.sorted(by: { !$0.1 && $1.1 }) {
                        // What a caller before this one changed (a grant revoked, a person blocked) is put back.
                        if route.method != .GET { try await Self.restore(fixture, app: app) }
                        let response = try await Self.send(route.method, path, fields: fields, as: caller)
                        checked += 1
                        let wasRefused = Self.refused(response, rule)
                        let where_ = subject == nil ? "" : " (\(fixture.label))"
                        if response.status.code >= 500 {
                            failures.append("\(key) as \(caller.name)\(where_): \(response.status.code) \(response.body.string.prefix(200))")
                        } else if !allowed, missing, response.status == .notFound {
                            // With no object to name, a 404 would hide a missing check: the refusal must come first.
                            failures.append("\(key) as \(caller.name)\(where_): refused only because the object is missing (404)")
                        } else if allowed, wasRefused {
                            // An object spent by an earlier caller's change, or one the demo data lacks, answers 404.
                            if response.status == .notFound && (missing || (done && route.method != .GET)) { continue }
                            failures.append("\(key) as \(caller.name)\(where_): expected through, got \(response.status.code) \(response.location ?? "") \(response.body.string.prefix(160))")
                        } else if !allowed, !wasRefused {
                            failures.append("\(key) as \(caller.name)\(where_): expected refused, got \(response.status.code) \(response.location ?? "") \(response.body.string.prefix(160))")
                        }
                        if allowed, (200..<400).contains(response.status.code) { done = true }
                    }
                }
            }
            try Self.compare(table.sorted(), callers: callers.map(\.name))
            print("authorisation matrix: \(checked) requests over \(routes.count) routes; objects missing from the demo data for \(weak.sorted())")
            #expect(failures.isEmpty, "\(failures.count) mismatches:\n\(failures.joined(separator: "\n"))")
            #expect(checked > routes.count * callers.count)
        }
    }
}
