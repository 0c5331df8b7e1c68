import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

/// The OpenAPI document: every API route is in it, its schemas are complete, and real answers of the
/// API match them (schemathesis checks the same in CI against the running server, with generated input).
@Suite("OpenAPI document")
struct OpenAPITests {
    @Test func everyAPIRouteIsDescribedAndInTheDocument() async throws {
        try await withApp { app in
            let undocumented = OpenAPIDocument.undocumented(app.routes.all)
            #expect(undocumented.isEmpty, "routes missing from /openapi.json: \(undocumented)")
            let built = OpenAPIDocument.build(routes: app.routes.all)
            #expect(built.unreadable.isEmpty, "schemas that could not be learnt: \(built.unreadable)")

            let document = try await Self.fetch(app)
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            // Each API route is an operation of the document, under its own path and method.
            var expected = 0
            for route in app.routes.all where OpenAPIDocument.isPublicAPI(route) {
                expected += 1
                let template = "/" + route.path.map { component -> String in
                    if case .parameter(let name) = component { return "{\(name)}" }
                    return component.description
                }.joined(separator: "/")
                #expect(paths[template]?[route.method.rawValue.lowercased()] != nil, "\(route) is not in the document")
            }
            #expect(paths.values.map(\.count).reduce(0, +) == expected)
            #expect(expected > 70)

            // Every reference points at a schema that exists; operation ids are unique.
            let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
            var references: [String] = []
            Self.collectReferences(document, into: &references)
            for reference in references {
                #expect(schemas[String(reference.dropFirst("#/components/schemas/".count))] != nil, "\(reference)")
            }
            let ids = paths.values.flatMap { $0.values.compactMap { ($0 as? [String: Any])?["operationId"] as? String } }
            #expect(Set(ids).count == ids.count)
        }
    }

    @Test func theSchemaOfATypeIsLearntFromItsCode() {
        struct Inner: Codable { var at: Date }
        struct Outer: Codable {
            var name: String
            var count: Int?
            var status: AppealStatus
            var tags: [String]
            var inner: Inner
            var list: [Inner]
            var map: [String: Int]
            var id: UUID
        }
        let reflector = SchemaReflector()
        #expect(reflector.schema(for: Outer.self) == ["$ref": "#/components/schemas/OpenAPITestsOuter"])
        let outer = try? #require(reflector.components.first { $0.0 == "OpenAPITestsOuter" }?.1)
        #expect(outer?["required"] == ["name", "status", "tags", "inner", "list", "map", "id"])
        #expect(outer?["properties"]?["count"] == ["anyOf": [["type": "integer"], ["type": "null"]]])
        #expect(outer?["properties"]?["status"]?["enum"] == .array(AppealStatus.allCases.map { .string($0.rawValue) }))
        #expect(outer?["properties"]?["list"] == ["type": "array", "items": ["$ref": "#/components/schemas/OpenAPITestsInner"]])
        #expect(outer?["properties"]?["map"] == ["type": "object", "additionalProperties": ["type": "integer"]])
        #expect(outer?["properties"]?["id"] == ["type": "string", "format": "uuid"])
        let inner = reflector.components.first { $0.0 == "OpenAPITestsInner" }?.1
        #expect(inner?["properties"]?["at"] == ["type": "string", "format": "date-time"])
        #expect(reflector.unreadable.isEmpty)
    }

    /// The answers of a citizen's and a staff member's day, each checked against the document.
    @Test func realAnswersMatchTheDocumentedSchemas() async throws {
        try await withApp(demo: true) { app in
            let document = try await Self.fetch(app)
            let validator = SchemaValidator(document: document)
            let anonymous = try API(app)
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            let admin = try await API.signedIn(app, "admin@consumerdesk.test")
            let curator = try await API.signedIn(app, "curator@consumerdesk.test")
            let consultant = try await API.signedIn(app, "operator@consumerdesk.test")

            let territory = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-leninsky").first()?.id)
            let created = try await citizen.send(.POST, "/api/v1/appeals", json: AppealBody(
                fields: [
                    "subcategoryCode": "trade-refund-defective", "territoryId": territory.uuidString,
                    "text": "Магазин не возвращает деньги за неисправный телефон уже три недели.",
                ],
                answers: ["purchaseDate": "2026-10-01", "claimFiled": "да"]))
            #expect(created.status == .created, "\(created.body.string)")
            let number = try created.content.decode(AppealDTO.self).number

            let calls: [(API, HTTPMethod, String, String, Int)] = [
                (anonymous, .GET, "/api/v1/classifier", "/api/v1/classifier", 200),
                (anonymous, .GET, "/api/v1/spheres", "/api/v1/spheres", 200),
                (anonymous, .GET, "/api/v1/faq", "/api/v1/faq", 200),
                (anonymous, .GET, "/api/v1/kb/articles", "/api/v1/kb/articles", 200),
                (anonymous, .GET, "/api/v1/claims", "/api/v1/claims", 200),
                (anonymous, .GET, "/api/v1/search?q=возврат", "/api/v1/search", 200),
                (anonymous, .GET, "/api/v1/bot/menu", "/api/v1/bot/menu", 200),
                (anonymous, .GET, "/health/ready", "/health/ready", 200),
                (anonymous, .GET, "/api/v1/me", "/api/v1/me", 401),
                (citizen, .GET, "/api/v1/me", "/api/v1/me", 200),
                (citizen, .GET, "/api/v1/appeals", "/api/v1/appeals", 200),
                (citizen, .GET, "/api/v1/appeals/\(number)", "/api/v1/appeals/{number}", 200),
                (citizen, .GET, "/api/v1/appeals/\(number)/history", "/api/v1/appeals/{number}/history", 200),
                (citizen, .GET, "/api/v1/workspace", "/api/v1/workspace", 403),
                (admin, .GET, "/api/v1/appeals/\(number)", "/api/v1/appeals/{number}", 200),
                (admin, .GET, "/api/v1/appeals/\(number)/notes", "/api/v1/appeals/{number}/notes", 200),
                (admin, .GET, "/api/v1/organisations", "/api/v1/organisations", 200),
                (admin, .GET, "/api/v1/territories", "/api/v1/territories", 200),
                (admin, .GET, "/api/v1/routing-rules", "/api/v1/routing-rules", 200),
                (admin, .GET, "/api/v1/moderation/queue", "/api/v1/moderation/queue", 200),
                (admin, .GET, "/api/v1/workspace", "/api/v1/workspace", 200),
                (admin, .GET, "/api/v1/stats/dashboard", "/api/v1/stats/dashboard", 200),
                (curator, .GET, "/api/v1/curator/appeals", "/api/v1/curator/appeals", 200),
                (admin, .GET, "/api/v1/classifier/history", "/api/v1/classifier/history", 200),
                (admin, .GET, "/api/v1/messages/channels", "/api/v1/messages/channels", 200),
                (admin, .GET, "/api/v1/bot/queue", "/api/v1/bot/queue", 200),
                (consultant, .GET, "/api/v1/operator/state", "/api/v1/operator/state", 200),
                (admin, .GET, "/api/v1/stats/appeals?dimension=x", "/api/v1/stats/appeals", 422),
            ]
            for (client, method, url, template, status) in calls {
                let response = try await client.send(method, url)
                #expect(Int(response.status.code) == status, "\(method) \(url): \(response.status) \(response.body.string.prefix(300))")
                let problems = try validator.check(response, path: template, method: method)
                #expect(problems.isEmpty, "\(method) \(url): \(problems)")
            }
        }
    }

    @Test func theReferencePageListsEveryOperation() async throws {
        try await withApp { app in
            let page = try await app.testing().sendRequest(.GET, "/api/docs")
            #expect(page.status == .ok)
            let html = page.body.string
            #expect(html.contains("Документация API") && html.contains("href=\"/openapi.json\""))
            #expect(html.contains("id=\"postAppeals\"") && html.contains("id=\"getWorkspace\""))
            #expect(html.contains("id=\"schema-AppealDTO\""))
            // No script or style from elsewhere.
            #expect(!html.contains("https://cdn") && !html.contains("unpkg") && !html.contains("jsdelivr"))
        }
    }

    static func fetch(_ app: Application) async throws -> [String: Any] {
        let response = try await app.testing().sendRequest(.GET, "/openapi.json")
        #expect(response.status == .ok && response.headers.contentType == .json)
        return try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
    }

    static func collectReferences(_ value: Any, into references: inout [String]) {
        if let object = value as? [String: Any] {
            if let reference = object["$ref"] as? String { references.append(reference) }
            for child in object.values { collectReferences(child, into: &references) }
        } else if let array = value as? [Any] {
            for child in array { collectReferences(child, into: &references) }
        }
    }
}

/// Enough of JSON Schema to check the API's answers: type, properties, required, items, enum, anyOf,
/// additionalProperties, $ref, and the formats uuid and date-time.
struct SchemaValidator {
    let document: [String: Any]

    func check(_ response: TestingHTTPResponse, path: String, method: HTTPMethod) throws -> [String] {
        guard let item = (document["paths"] as? [String: Any])?[path] as? [String: Any],
            let operation = item[method.rawValue.lowercased()] as? [String: Any],
            let responses = operation["responses"] as? [String: Any]
        else { return ["\(method) \(path) is not in the document"] }
        let code = String(response.status.code)
        guard let answer = (responses[code] ?? responses[String(code.prefix(1)) + "XX"]) as? [String: Any] else {
            return ["status \(code) is not documented"]
        }
        guard let content = answer["content"] as? [String: Any] else {
            return response.body.readableBytes == 0 ? [] : ["a body where none is documented"]
        }
        guard let schema = (content["application/json"] as? [String: Any])?["schema"] else { return [] }
        let value = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView), options: [.fragmentsAllowed])
        var problems: [String] = []
        validate(value, against: schema, at: "$", problems: &problems)
        return problems
    }

    func validate(_ value: Any, against schema: Any, at path: String, problems: inout [String]) {
        guard let schema = schema as? [String: Any] else { return }
        if let reference = schema["$ref"] as? String {
            let name = String(reference.split(separator: "/").last ?? "")
            let target = ((document["components"] as? [String: Any])?["schemas"] as? [String: Any])?[name] ?? [:]
            validate(value, against: target, at: path, problems: &problems)
            return
        }
        if let options = schema["anyOf"] as? [Any] {
            for option in options {
                var attempt: [String] = []
                validate(value, against: option, at: path, problems: &attempt)
                if attempt.isEmpty { return }
            }
            problems.append("\(path): matches no alternative")
            return
        }
        if let values = schema["enum"] as? [Any] {
            if !values.contains(where: { "\($0)" == "\(value)" }) { problems.append("\(path): \(value) is not one of \(values)") }
        }
        switch schema["type"] as? String {
        case "null":
            if !(value is NSNull) { problems.append("\(path): expected null") }
        case "string":
            guard let text = value as? String else { return problems.append("\(path): expected a string, got \(value)") }
            if schema["format"] as? String == "uuid", UUID(uuidString: text) == nil { problems.append("\(path): not a uuid") }
            if schema["format"] as? String == "date-time", ISO8601DateFormatter().date(from: text) == nil {
                problems.append("\(path): not a date-time: \(text)")
            }
        case "integer":
            guard let number = value as? NSNumber, number.doubleValue == number.doubleValue.rounded() else {
                return problems.append("\(path): expected an integer, got \(value)")
            }
        case "number":
            if !(value is NSNumber) { problems.append("\(path): expected a number") }
        case "boolean":
            if !(value is Bool) { problems.append("\(path): expected a boolean, got \(value)") }
        case "array":
            guard let items = value as? [Any] else { return problems.append("\(path): expected an array") }
            for (index, item) in items.enumerated() {
                validate(item, against: schema["items"] ?? [:], at: "\(path)[\(index)]", problems: &problems)
            }
        case "object":
            guard let object = value as? [String: Any] else { return problems.append("\(path): expected an object") }
            for name in schema["required"] as? [String] ?? [] where object[name] == nil {
                problems.append("\(path).\(name): required but missing")
            }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (name, member) in object {
                if let property = properties[name] {
                    validate(member, against: property, at: "\(path).\(name)", problems: &problems)
                } else if let extra = schema["additionalProperties"] {
                    validate(member, against: extra, at: "\(path).\(name)", problems: &problems)
                }
            }
        default:
            break
        }
    }
}
