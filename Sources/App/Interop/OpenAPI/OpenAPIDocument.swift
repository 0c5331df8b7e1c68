import Vapor

/// The OpenAPI 3.1 document of the JSON API, built from the application's routes and the description each
/// carries (`Route.document`). Schemas are learnt from the request and response types themselves
/// (`SchemaReflector`), so the document cannot drift from what the handlers decode and encode.
enum OpenAPIDocument {
    /// The routes the document must describe: the API, open data in JSON and the health checks.
    static func isPublicAPI(_ route: Route) -> Bool {
        let path = route.path.map(\.description)
        if path.starts(with: ["api", "v1"]) { return true }
        if path == ["opendata", "appeals.json"] { return true }
        return path.first == "health"
    }

    /// The API routes with no description: what the coverage test reports.
    static func undocumented(_ routes: [Route]) -> [String] {
        routes.filter { isPublicAPI($0) && $0.apiOperation == nil }.map(\.description)
    }

    struct Built {
        var document: JSONValue
        /// Types whose schema could not be learnt (see `SchemaReflector.unreadable`).
        var unreadable: [String]
    }

    static func build(routes: [Route]) -> Built {
        let reflector = SchemaReflector()
        let errorSchema = reflector.schema(for: APIErrorBody.self)
        var paths: [(String, [(String, JSONValue)])] = []
        var tags: [String] = []

        for route in routes where isPublicAPI(route) {
            guard let operation = route.apiOperation else { continue }
            let template = "/" + route.path.map { component -> String in
                if case .parameter(let name) = component { return "{\(name)}" }
                return component.description
            }.joined(separator: "/")
            let tag = Self.tag(for: route)
            if !tags.contains(tag) { tags.append(tag) }

            var fields: [(String, JSONValue)] = [
                ("operationId", .string(Self.operationID(route))),
                ("summary", .string(operation.summary)),
                ("tags", [.string(tag)]),
            ]
            if let description = operation.description { fields.append(("description", .string(description))) }

            var parameters: [JSONValue] = []
            for component in route.path {
                guard case .parameter(let name) = component else { continue }
                let schema: JSONValue =
                    if let values = operation.pathValues[name] {
                        ["type": "string", "enum": .array(values.map(JSONValue.string))]
                    } else if operation.uuidParameters.contains(name) {
                        ["type": "string", "format": "uuid"]
                    } else {
                        ["type": "string"]
                    }
                parameters.append(["name": .string(name), "in": "path", "required": true, "schema": schema])
            }
            for parameter in operation.query {
                parameters.append([
                    "name": .string(parameter.name), "in": .string(parameter.place), "required": .bool(parameter.required),
                    "description": .string(parameter.description), "schema": parameter.schema,
                ])
            }
            if !parameters.isEmpty { fields.append(("parameters", .array(parameters))) }

            if let body = operation.body {
                let schema = reflector.schema(for: body.type.type)
                var content: [(String, JSONValue)] = [("application/json", .object([("schema", schema)]))]
                if body.multipart { content.append(("multipart/form-data", .object([("schema", schema)]))) }
                fields.append(("requestBody", ["required": true, "content": .object(content)]))
            }

            var responses: [(String, JSONValue)] = []
            let success: JSONValue
            if operation.upgrades {
                success = ["description": "Switching Protocols: the WebSocket is open"]
            } else if !operation.media.isEmpty {
                let file: JSONValue = ["schema": ["type": "string"]]
                var content = operation.media.map { ($0, file) }
                if let type = operation.response?.type {
                    content.insert(("application/json", .object([("schema", reflector.schema(for: type))])), at: 0)
                }
                success = ["description": "The file", "content": .object(content)]
            } else if let type = operation.response?.type ?? (route.responseType as? any Decodable.Type),
                type != HTTPStatus.self, operation.status != 204
            {
                success = ["description": "OK", "content": ["application/json": ["schema": reflector.schema(for: type)]]]
            } else {
                success = ["description": operation.status == 204 ? "No Content" : "OK"]
            }
            responses.append((String(operation.upgrades ? 101 : operation.status), success))
            for status in operation.also { responses.append((String(status), success)) }
            responses.append((
                "4XX",
                [
                    "description": "The request was refused: `reason` says why in English, `fields` lists each bad field",
                    "content": ["application/json": ["schema": errorSchema]],
                ]
            ))
            fields.append(("responses", .object(responses)))

            switch operation.access {
            case .open: fields.append(("security", []))
            case .optionalToken: fields.append(("security", [[:], ["bearer": []]]))
            case .token: fields.append(("security", [["bearer": []]]))
            }

            let method = route.method.rawValue.lowercased()
            if let index = paths.firstIndex(where: { $0.0 == template }) {
                paths[index].1.append((method, .object(fields)))
            } else {
                paths.append((template, [(method, .object(fields))]))
            }
        }

        let document: JSONValue = [
            "openapi": "3.1.0",
            "info": [
                "title": "ConsumerDesk API",
                "version": "1",
                "description": .string(
                    "The JSON API of ConsumerDesk: citizens file and follow appeals, staff process them, partners "
                        + "read the reference data. Sign in with POST /api/v1/auth/token and send the token as "
                        + "`Authorization: Bearer …`. Errors are JSON with an English `reason`."),
            ],
            "tags": .array(tags.map { ["name": .string($0)] }),
            "paths": .object(paths.map { ($0.0, .object($0.1)) }),
            "components": [
                "schemas": .object(reflector.components),
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]],
            ],
        ]
        return Built(document: document, unreadable: reflector.unreadable)
    }

    /// `GET /api/v1/appeals/:number/notes` → `getAppealsNumberNotes`.
    static func operationID(_ route: Route) -> String {
        var path = route.path.map { component -> String in
            if case .parameter(let name) = component { return name }
            return component.description
        }
        if path.starts(with: ["api", "v1"]) { path.removeFirst(2) }
        let words = path.flatMap { $0.split(whereSeparator: { !$0.isLetter && !$0.isNumber }) }
        return route.method.rawValue.lowercased() + words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// The section of the reference: the first path word after `/api/v1`.
    static func tag(for route: Route) -> String {
        var path = route.path.map(\.description)
        if path.starts(with: ["api", "v1"]) { path.removeFirst(2) }
        return path.first ?? "api"
    }
}
