import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

/// Open311 GeoReport v2: every endpoint in XML and JSON, and every refusal in the specification's form.
@Suite("Open311 GeoReport v2")
struct Open311Tests {
    static let service = "trade-refund-defective"

    /// The admin issues a key on /admin/partners; returns it (shown once on the answering page).
    static func issueKey(_ app: Application, name: String = "Мобильное приложение «Мой город»") async throws -> String {
        let admin = try Browser(app)
        try await admin.signIn("admin@consumerdesk.test")
        let page = try await admin.post("/admin/partners", form: [("name", name), ("contact", "it@city.example")])
        #expect(page.status == .created, "\(page.body.string.prefix(300))")
        let body = page.body.string
        guard let start = body.range(of: "<code id=\"api-key\">"), let end = body.range(of: "</code>", range: start.upperBound..<body.endIndex)
        else {
            Issue.record("no key on the page")
            return ""
        }
        return String(body[start.upperBound..<end.lowerBound])
    }

    static func post(_ app: Application, _ path: String = "/open311/v2/requests.json", _ fields: [(String, String)]) async throws -> TestingHTTPResponse {
        let body = fields.map { "\(Browser.encode($0.0))=\(Browser.encode($0.1))" }.joined(separator: "&")
        var headers = HTTPHeaders()
        headers.contentType = .urlEncodedForm
        return try await app.testing().sendRequest(.POST, path, headers: headers, body: ByteBuffer(string: body))
    }

    static func get(_ app: Application, _ path: String) async throws -> TestingHTTPResponse {
        try await app.testing().sendRequest(.GET, path)
    }

    static func json(_ response: TestingHTTPResponse) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(response.body.string.utf8))
    }

    static func filing(key: String, _ extra: [(String, String)] = []) -> [(String, String)] {
        [
            ("api_key", key), ("service_code", service), ("first_name", "Анна"), ("last_name", "Смирнова"),
            ("email", "anna@example.ru"), ("description", "Продавец отказался вернуть деньги за сломавшийся чайник."),
            ("attribute[purchaseDate]", "2026-11-01"), ("attribute[claimFiled]", "да"),
        ] + extra
    }

    @Test func discoveryServicesAndDefinitionsInXMLAndJSON() async throws {
        try await withApp(demo: true) { app in
            let discovery = try await Self.get(app, "/open311/v2/discovery.xml")
            #expect(discovery.status == .ok)
            #expect(discovery.headers.contentType?.subType == "xml")
            #expect(discovery.body.string.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"))
            #expect(discovery.body.string.contains("<specification>http://wiki.open311.org/GeoReport_v2</specification>"))
            #expect(discovery.body.string.contains("<format>application/json</format>"))
            let discoveryJSON = try #require(try Self.json(try await Self.get(app, "/open311/v2/discovery.json")) as? [String: Any])
            let endpoints = try #require(discoveryJSON["endpoints"] as? [[String: Any]])
            #expect((endpoints.first?["url"] as? String)?.hasSuffix("/open311/v2") == true)

            // Services: every subcategory open for filing, grouped by category.
            let open = try await Subcategory.query(on: app.db).filter(\.$isRetired == false).with(\.$category).all()
                .filter { !$0.category.isRetired }
            let services = try #require(try Self.json(try await Self.get(app, "/open311/v2/services.json")) as? [[String: Any]])
            #expect(services.count == open.count)
            let refund = try #require(services.first { $0["service_code"] as? String == Self.service })
            #expect(refund["group"] as? String == "Торговля")
            #expect(refund["metadata"] as? Bool == true)
            #expect(refund["type"] as? String == "realtime")
            #expect((refund["keywords"] as? String)?.contains("возврат") == true)
            let xml = try await Self.get(app, "/open311/v2/services.xml")
            #expect(xml.body.string.contains("<service><service_code>\(Self.service)</service_code><service_name>Возврат денег за товар ненадлежащего качества</service_name>"))
            #expect(xml.body.string.contains("<metadata>true</metadata>"))

            // A definition: the extra questions as attributes, typed.
            let definition = try #require(try Self.json(try await Self.get(app, "/open311/v2/services/\(Self.service).json")) as? [String: Any])
            let attributes = try #require(definition["attributes"] as? [[String: Any]])
            #expect(attributes.map { $0["code"] as? String } == ["purchaseDate", "price", "hasReceipt", "claimFiled"])
            #expect(attributes.map { $0["datatype"] as? String } == ["datetime", "number", "singlevaluelist", "singlevaluelist"])
            #expect(attributes.map { $0["required"] as? Bool } == [true, false, false, true])
            #expect(attributes.map { $0["order"] as? Int } == [1, 2, 3, 4])
            #expect((attributes[3]["values"] as? [[String: Any]])?.compactMap { $0["key"] as? String } == ["да", "нет"])
            let definitionXML = try await Self.get(app, "/open311/v2/services/\(Self.service).xml")
            #expect(definitionXML.body.string.contains("<attribute><variable>true</variable><code>purchaseDate</code><datatype>datetime</datatype><required>true</required>"))

            // Refusals in the specification's error list.
            let unknown = try await Self.get(app, "/open311/v2/services/no-such-service.xml")
            #expect(unknown.status == .notFound)
            #expect(unknown.body.string.contains("<errors><error><code>404</code><description>service_code no-such-service not found</description></error></errors>"))
            let unknownJSON = try await Self.get(app, "/open311/v2/services/no-such-service.json")
            #expect((try Self.json(unknownJSON) as? [[String: Any]])?.first?["code"] as? Int == 404)
            #expect(try await Self.get(app, "/open311/v2/services.csv").status == .notFound)
            #expect(try await Self.get(app, "/open311/v2/services").status == .notFound)
            // One jurisdiction: absent or empty is fine, another is not found.
            #expect(try await Self.get(app, "/open311/v2/services.xml?jurisdiction_id=").status == .ok)
            #expect(try await Self.get(app, "/open311/v2/services.xml?jurisdiction_id=127.0.0.1").status == .ok)
            #expect(try await Self.get(app, "/open311/v2/services.xml?jurisdiction_id=elsewhere.example").status == .notFound)
        }
    }

    @Test func aPartnerFilesARequestAndFollowsItByTokenAndId() async throws {
        try await withApp(demo: true) { app in
            // A fixed today, so the default and given date ranges below stay what they say.
            app.clock = AppClock { Date(timeIntervalSince1970: 1_795_430_000) }  // 2026-11-23 13:33 in Volgograd
            let key = try await Self.issueKey(app)
            #expect(key.hasPrefix("o311_"))
            // A point in Волжский, with an attribute sent as a full ISO 8601 time.
            let response = try await Self.post(app, "/open311/v2/requests.json", Self.filing(key: key, [
                ("lat", "48.79"), ("long", "44.75"), ("address_string", "ул. Мира, 10"), ("phone", ""),
                // FixMyStreet sends attributes of its own: ignored, not refused.
                ("attribute[fixmystreet_id]", "123"), ("title", "Чайник"),
                ("attribute[purchaseDate]", "2026-11-01T10:00:00+03:00"),
            ]))
            #expect(response.status == .created, "\(response.body.string)")
            let receipt = try #require((try Self.json(response) as? [[String: Any]])?.first)
            let number = try #require(receipt["service_request_id"] as? String)
            let token = try #require(receipt["token"] as? String)
            #expect((receipt["service_notice"] as? String)?.contains(number) == true)

            let appeal = try #require(try await Appeal.query(on: app.db).filter(\.$number == number).first())
            #expect(appeal.channel == .open311)
            #expect(appeal.source == "Мобильное приложение «Мой город»")
            #expect(appeal.surname == "Смирнова" && appeal.name == "Анна" && appeal.email == "anna@example.ru")
            #expect(appeal.latitude == 48.79 && appeal.longitude == 44.75)
            #expect(appeal.problemAddress == "ул. Мира, 10")
            #expect(!appeal.answersJSON.contains("fixmystreet_id"))
            let territory = try #require(try await Territory.find(appeal.$territory.id, on: app.db))
            #expect(territory.code == "vlg-volzhsky")
            #expect(appeal.answersJSON.contains("\"purchaseDate\":\"2026-11-01\""))

            // The token leads to the id, in both formats.
            let byToken = try await Self.get(app, "/open311/v2/tokens/\(token).xml")
            #expect(byToken.body.string.contains("<request><service_request_id>\(number)</service_request_id><token>\(token)</token></request>"))
            #expect(try await Self.get(app, "/open311/v2/tokens/\(UUID()).json").status == .notFound)

            // The filer sees its request in full.
            let own = try #require((try Self.json(try await Self.get(app, "/open311/v2/requests/\(number).json?api_key=\(key)")) as? [[String: Any]])?.first)
            #expect(own["status"] as? String == "open")
            #expect(own["description"] as? String == "Продавец отказался вернуть деньги за сломавшийся чайник.")
            #expect(own["lat"] as? Double == 48.79)
            #expect(own["address_id"] as? String == "vlg-volzhsky")
            #expect(own["service_code"] as? String == Self.service)
            #expect((own["expected_datetime"] as? String)?.hasSuffix("+03:00") == true)
            #expect(try await Self.get(app, "/open311/v2/requests/\(number).json?api_key=wrong").status == .forbidden)

            // Anyone may follow it, without the citizen's words or place.
            let publicXML = try await Self.get(app, "/open311/v2/requests/\(number).xml")
            #expect(publicXML.status == .ok)
            #expect(publicXML.body.string.contains("<service_request_id>\(number)</service_request_id><status>open</status>"))
            #expect(publicXML.body.string.contains("<description/>") && publicXML.body.string.contains("<lat/>"))
            #expect(!publicXML.body.string.contains("чайник") && !publicXML.body.string.contains("Смирнова"))
            let listed = try #require(try Self.json(try await Self.get(app, "/open311/v2/requests.json?service_code=\(Self.service)&status=open")) as? [[String: Any]])
            #expect(listed.contains { $0["service_request_id"] as? String == number })
            let closed = try #require(try Self.json(try await Self.get(app, "/open311/v2/requests.json?status=closed")) as? [[String: Any]])
            #expect(!closed.contains { $0["service_request_id"] as? String == number })
            let byIds = try #require(try Self.json(try await Self.get(app, "/open311/v2/requests.json?service_request_id=\(number),nope")) as? [[String: Any]])
            #expect(byIds.map { $0["service_request_id"] as? String } == [number])
            // Rejected appeals are the filer's alone.
            appeal.status = .rejected
            try await appeal.save(on: app.db)
            #expect(try await Self.get(app, "/open311/v2/requests/\(number).json").status == .notFound)
            #expect(try await Self.get(app, "/open311/v2/requests/\(number).json?api_key=\(key)").status == .ok)
            appeal.status = .coordination
            try await appeal.save(on: app.db)
            // An unencoded «+03:00» arrives as a space and is still read.
            #expect(try await Self.get(app, "/open311/v2/requests.json?start_date=2026-11-01T00:00:00+03:00").status == .ok)
            let old = try #require(try Self.json(try await Self.get(app, "/open311/v2/requests.json?end_date=2020-01-01T00:00:00Z")) as? [[String: Any]])
            #expect(old.isEmpty)
            // A start alone covers the 90 days from it.
            let fromStart = try #require(try Self.json(try await Self.get(app, "/open311/v2/requests.json?start_date=2026-11-01T00:00:00Z")) as? [[String: Any]])
            #expect(fromStart.contains { $0["service_request_id"] as? String == number })
        }
    }

    @Test func theLocationIsATerritoryCodeAPointOrAnAddress() async throws {
        try await withApp(demo: true) { app in
            let key = try await Self.issueKey(app)
            for (location, expected) in [
                ([("address_id", "vlg-mikhaylovka")], "vlg-mikhaylovka"),
                ([("address_string", "Волгоградская обл., г. Камышин, ул. Ленина, 5")], "vlg-kamyshin"),
                ([("address_string", "Камышинский район, с. Лебяжье")], "vlg-kamyshinsky"),
                ([("address_string", "ул. Неизвестная, 1")], "vlg"),
                ([("lat", "48.70"), ("long", "44.52")], "vlg-volgograd"),
            ] {
                let response = try await Self.post(
                    app, "/open311/v2/requests.xml",
                    Self.filing(key: key, location).map { $0.0 == "email" ? ($0.0, "citizen@consumerdesk.test") : $0 })
                #expect(response.status == .created, "\(location): \(response.body.string)")
                #expect(response.headers.contentType?.subType == "xml")
                let body = response.body.string
                guard let start = body.range(of: "<service_request_id>"), let end = body.range(of: "</service_request_id>") else {
                    Issue.record("no id: \(body)")
                    continue
                }
                let number = String(body[start.upperBound..<end.lowerBound])
                let appeal = try #require(try await Appeal.query(on: app.db).filter(\.$number == number).first())
                #expect(try await Territory.find(appeal.$territory.id, on: app.db)?.code == expected, "\(location)")
                // A partner may not put appeals into a citizen's account by typing its e-mail.
                #expect(appeal.userID == nil)
            }
        }
    }

    @Test func badInputIsRefusedInTheSpecificationsFormAndNothingIsSaved() async throws {
        try await withApp(demo: true) { app in
            let key = try await Self.issueKey(app)
            let before = try await Appeal.query(on: app.db).count()
            func refused(_ fields: [(String, String)], _ status: HTTPResponseStatus, _ text: String, path: String = "/open311/v2/requests.json") async throws {
                let response = try await Self.post(app, path, fields)
                #expect(response.status == status, "\(fields.map(\.0)): \(response.body.string)")
                let errors = try Self.json(response) as? [[String: Any]]
                #expect(errors?.allSatisfy { $0["code"] as? Int == Int(status.code) } == true)
                #expect(errors?.contains { ($0["description"] as? String)?.contains(text) == true } == true, "\(response.body.string)")
            }
            let point = [("lat", "48.79"), ("long", "44.75")]
            try await refused(Self.filing(key: "", point), .forbidden, "api_key")
            try await refused(Self.filing(key: "o311_wrong", point), .forbidden, "api_key")
            try await refused(Self.filing(key: key, point).map { $0.0 == "service_code" ? ($0.0, "no-such") : $0 }, .notFound, "service_code no-such not found")
            try await refused(Self.filing(key: key, point).filter { $0.0 != "service_code" }, .badRequest, "service_code: required")
            try await refused(Self.filing(key: key), .badRequest, "A location is required")
            try await refused(Self.filing(key: key, [("lat", "48.79")]), .badRequest, "lat/long: both are required")
            try await refused(Self.filing(key: key, [("lat", "north"), ("long", "44.75")]), .badRequest, "lat/long: not a valid point")
            try await refused(Self.filing(key: key, [("lat", "55.75"), ("long", "37.62")]), .badRequest, "outside the territories served")
            try await refused(Self.filing(key: key, [("address_id", "msk")]), .badRequest, "address_id: unknown territory code msk")
            try await refused(
                Self.filing(key: key, point).map { $0.0 == "description" ? ($0.0, String(repeating: "я", count: 4_001)) : $0 },
                .badRequest, "description: longer than 4000 characters")
            try await refused(Self.filing(key: key, point).filter { $0.0 != "attribute[claimFiled]" }, .badRequest, "attribute[claimFiled]: ")
            // Control characters never reach the database (PostgreSQL refuses NUL in text).
            try await refused(Self.filing(key: key, point).filter { $0.0 != "last_name" } + [("last_name", "\u{0}")], .badRequest, "last_name: ")
            #expect(try await Self.get(app, "/open311/v2/requests/%00.xml").status == .notFound)
            try await refused(Self.filing(key: key, point).filter { $0.0 != "last_name" }, .badRequest, "last_name: ")
            try await refused(Self.filing(key: key, point).map { $0.0 == "email" ? ($0.0, "not-an-email") : $0 }, .badRequest, "email: ")
            // A form sent as JSON is not a GeoReport request.
            var headers = HTTPHeaders()
            headers.contentType = .json
            let asJSON = try await app.testing().sendRequest(.POST, "/open311/v2/requests.json", headers: headers, body: ByteBuffer(string: "{}"))
            #expect(asJSON.status == .badRequest)

            // A revoked key stops working at once.
            let partner = try #require(try await PartnerApp.query(on: app.db).first())
            let admin = try Browser(app)
            try await admin.signIn("admin@consumerdesk.test")
            #expect(try await admin.post("/admin/partners/\(try partner.requireID())/revoke", form: []).status == .seeOther)
            try await refused(Self.filing(key: key, point), .forbidden, "api_key")
            #expect(try await Appeal.query(on: app.db).count() == before)

            // Listing filters are checked too.
            for (query, text) in [
                ("start_date=yesterday", "start_date: not an ISO 8601"), ("status=pending", "status: pending"),
                ("start_date=2026-11-02T00:00:00Z&end_date=2026-11-01T00:00:00Z", "start_date: after end_date"),
                ("start_date=2026-01-01T00:00:00Z&end_date=2026-11-01T00:00:00Z", "may not span more than 90 days"),
            ] {
                let response = try await Self.get(app, "/open311/v2/requests.xml?\(query)")
                #expect(response.status == .badRequest, "\(query)")
                #expect(response.body.string.contains("<code>400</code>") && response.body.string.contains(text), "\(response.body.string)")
            }
        }
    }

    @Test func onlyAdminsIssueKeysAndAKeyIsShownOnce() async throws {
        try await withApp(demo: true) { app in
            let citizen = try Browser(app)
            try await citizen.signIn("citizen@consumerdesk.test")
            #expect(try await citizen.get("/admin/partners").status == .forbidden)
            #expect(try await citizen.post("/admin/partners", form: [("name", "Чужое")]).status == .forbidden)
            let admin = try Browser(app)
            try await admin.signIn("admin@consumerdesk.test")
            let empty = try await admin.post("/admin/partners", form: [("name", "  ")])
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.body.string.contains("field-error"))
            let key = try await Self.issueKey(app, name: "Сайт НКО «Защита»")
            let list = try await admin.get("/admin/partners")
            #expect(list.status == .ok && list.body.string.contains("Сайт НКО «Защита»"))
            #expect(list.body.string.contains(String(key.prefix(9))) && !list.body.string.contains(key))
            let stored = try #require(try await PartnerApp.query(on: app.db).filter(\.$name == "Сайт НКО «Защита»").first())
            #expect(stored.keyHash == Secrets.hash(key) && stored.keyHash != key)
        }
    }
}
