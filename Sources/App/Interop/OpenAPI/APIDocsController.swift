import NIOConcurrencyHelpers
import Vapor

/// `/openapi.json` (the OpenAPI 3.1 document) and `/api/docs` (the same, as a page people read, served
/// from here with no outside scripts). Both are public: they describe the API, not anyone's data.
struct APIDocsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("openapi.json", use: document)
        routes.get("api", "docs", use: page)
    }

    @Sendable
    func document(request: Request) async throws -> Response {
        let response = Response(status: .ok, body: .init(data: request.application.openAPI.text))
        response.headers.contentType = .json
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=300")
        response.headers.replaceOrAdd(name: .accessControlAllowOrigin, value: "*")
        return response
    }

    @Sendable
    func page(request: Request) async throws -> View {
        let built = request.application.openAPI
        return try await request.view.render(
            "interop/api-docs",
            APIDocsPage(
                layout: await Layout.make(for: request, title: "Документация API"),
                sections: APIDocsPage.sections(built.document), schemas: APIDocsPage.schemas(built.document)))
    }
}

extension Application {
    struct OpenAPICache {
        var document: JSONValue
        var text: Data
    }

    private struct OpenAPIKey: StorageKey {
        typealias Value = NIOLockedValueBox<OpenAPICache?>
    }

    /// The document, built on first use from the routes (they are all registered by then) and kept.
    var openAPI: OpenAPICache {
        let box: NIOLockedValueBox<OpenAPICache?>
        if let existing = storage[OpenAPIKey.self] {
            box = existing
        } else {
            box = NIOLockedValueBox(nil)
            storage[OpenAPIKey.self] = box
        }
        return box.withLockedValue { cached in
            if let cached { return cached }
            let built = OpenAPIDocument.build(routes: routes.all)
            let made = OpenAPICache(document: built.document, text: built.document.encoded(pretty: true))
            cached = made
            return made
        }
    }
}

/// The reference page: one section per tag, each operation with its parameters, body and answers; the
/// schemas listed once below with their properties.
struct APIDocsPage: Encodable {
    struct Parameter: Encodable {
        var name: String
        var place: String
        var type: String
        var required: Bool
        var description: String
    }

    struct Operation: Encodable {
        var id: String
        var method: String
        var path: String
        var summary: String
        var description: String?
        var access: String
        var parameters: [Parameter]
        var body: String?
        var responses: [Parameter]
    }

    struct Section: Encodable {
        var name: String
        var operations: [Operation]
    }

    struct Property: Encodable {
        var name: String
        var type: String
        var required: Bool
    }

    struct Schema: Encodable {
        var name: String
        var properties: [Property]
    }

    var layout: Layout
    var sections: [Section]
    var schemas: [Schema]

    static func sections(_ document: JSONValue) -> [Section] {
        guard case .object(let paths)? = document["paths"] else { return [] }
        var sections: [Section] = []
        for (path, item) in paths {
            guard case .object(let methods) = item else { continue }
            for (method, operation) in methods {
                guard case .string(let tag)? = operation["tags"].flatMap({ if case .array(let a) = $0 { a.first } else { nil } })
                else { continue }
                var parameters: [Parameter] = []
                if case .array(let list)? = operation["parameters"] {
                    for parameter in list {
                        parameters.append(Parameter(
                            name: text(parameter["name"]), place: ["path": "путь", "header": "заголовок"][text(parameter["in"])] ?? "запрос",
                            type: typeName(parameter["schema"]), required: parameter["required"] == .bool(true),
                            description: text(parameter["description"])))
                    }
                }
                var responses: [Parameter] = []
                if case .object(let answers)? = operation["responses"] {
                    for (status, answer) in answers {
                        var type = ""
                        if case .object(let content)? = answer["content"], let first = content.first {
                            type = first.0 == "application/json" ? typeName(first.1["schema"]) : content.map(\.0).joined(separator: ", ")
                            if first.0 == "application/json", content.count > 1 {
                                type += " или файл: " + content.dropFirst().map(\.0).joined(separator: ", ")
                            }
                        }
                        responses.append(Parameter(
                            name: status, place: "", type: type, required: false, description: text(answer["description"])))
                    }
                }
                let security = operation["security"]
                let access =
                    security == .array([]) ? "без входа"
                    : security == .array([.object([]), ["bearer": []]]) ? "вход необязателен" : "нужен токен"
                let body = operation["requestBody"]?["content"]?["application/json"]?["schema"].map(typeName)
                let entry = Operation(
                    id: text(operation["operationId"]), method: method.uppercased(), path: path,
                    summary: text(operation["summary"]), description: operation["description"].map(text), access: access,
                    parameters: parameters, body: body, responses: responses)
                if let index = sections.firstIndex(where: { $0.name == tag }) {
                    sections[index].operations.append(entry)
                } else {
                    sections.append(Section(name: tag, operations: [entry]))
                }
            }
        }
        return sections
    }

    static func schemas(_ document: JSONValue) -> [Schema] {
        guard case .object(let schemas)? = document["components"]?["schemas"] else { return [] }
        return schemas.map { name, schema in
            var properties: [Property] = []
            if case .object(let list)? = schema["properties"] {
                let required: [JSONValue] = if case .array(let names)? = schema["required"] { names } else { [] }
                for (property, type) in list {
                    properties.append(Property(
                        name: property, type: typeName(type), required: required.contains(.string(property))))
                }
            }
            return Schema(name: name, properties: properties)
        }
    }

    private static func text(_ value: JSONValue?) -> String {
        if case .string(let text)? = value { return text }
        return ""
    }

    /// A schema in a few words: `UserDTO`, `array of UserDTO`, `string (date-time)`, `one of: a, b`.
    static func typeName(_ schema: JSONValue?) -> String {
        guard let schema else { return "" }
        if case .string(let reference)? = schema["$ref"] { return String(reference.split(separator: "/").last ?? "") }
        if case .array(let options)? = schema["anyOf"] {
            return options.filter { $0["type"] != .string("null") }.map(typeName).joined(separator: " | ") + " или null"
        }
        if case .array(let values)? = schema["enum"] {
            return "одно из: " + values.map { value -> String in
                switch value {
                case .string(let text): text
                case .int(let number): String(number)
                default: ""
                }
            }.joined(separator: ", ")
        }
        let type = text(schema["type"])
        if type == "array" { return "массив " + typeName(schema["items"]) }
        if type == "object", let values = schema["additionalProperties"] { return "словарь → " + typeName(values) }
        if case .string(let format)? = schema["format"] { return "\(type) (\(format))" }
        return type.isEmpty ? "любое значение" : type
    }
}
