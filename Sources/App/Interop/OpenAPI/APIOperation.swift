import Vapor

/// What the API reference says about one route. It is attached where the route is registered
/// (`.document(…)`), so a route and its description change together; `/openapi.json` is built from the
/// application's routes, and a test fails for any API route that has none.
struct APIOperation: Sendable {
    /// Who may call it: anyone, anyone (a token adds to what is shown), or only with a bearer token.
    enum Access: Sendable { case open, optionalToken, token }

    struct Parameter: Sendable {
        var name: String
        var schema: JSONValue
        var description: String
        var required = false
        /// `query` or `header`.
        var place = "query"
    }

    /// A type the document describes. Metatypes never change, so sharing one across tasks is safe.
    struct TypeRef: @unchecked Sendable {
        var type: any Decodable.Type
    }

    struct Body: Sendable {
        var type: TypeRef
        /// Also accepted as multipart/form-data (files ride along as parts).
        var multipart = false
    }

    var summary: String
    var description: String?
    var access: Access
    var query: [Parameter]
    var body: Body?
    /// The success status; 200 unless the route creates (201) or answers nothing (204).
    var status: Int
    /// Other success statuses with the same body (a replayed idempotent create answers 200, not 201).
    var also: [Int]
    /// The success body: the handler's own return type when it is decodable and this is nil.
    var response: TypeRef?
    /// Non-JSON success bodies (files): their media types, beside JSON when `response` is also given.
    var media: [String]
    /// The path parameters that are UUIDs.
    var uuidParameters: Set<String>
    /// Path parameters with a fixed set of values.
    var pathValues: [String: [String]]
    /// Answers 101 Switching Protocols (a WebSocket), not a body.
    var upgrades: Bool

    init(
        _ summary: String, description: String? = nil, access: Access = .token, query: [Parameter] = [],
        body: (any Decodable.Type)? = nil, multipart: Bool = false, status: Int = 200, also: [Int] = [],
        response: (any Decodable.Type)? = nil, media: [String] = [], uuid: Set<String> = [], pathValues: [String: [String]] = [:], upgrades: Bool = false
    ) {
        self.summary = summary
        self.description = description
        self.access = access
        self.query = query
        self.body = body.map { Body(type: TypeRef(type: $0), multipart: multipart) }
        self.status = status
        self.also = also
        self.response = response.map(TypeRef.init(type:))
        self.media = media
        self.uuidParameters = uuid
        self.pathValues = pathValues
        self.upgrades = upgrades
    }
}

extension APIOperation.Parameter {
    static func string(_ name: String, _ description: String, required: Bool = false) -> Self {
        .init(name: name, schema: ["type": "string"], description: description, required: required)
    }

    static func integer(_ name: String, _ description: String, minimum: Int? = nil, maximum: Int? = nil) -> Self {
        var schema: [(String, JSONValue)] = [("type", "integer")]
        if let minimum { schema.append(("minimum", .int(minimum))) }
        if let maximum { schema.append(("maximum", .int(maximum))) }
        return .init(name: name, schema: .object(schema), description: description)
    }

    static func header(_ name: String, _ description: String) -> Self {
        .init(name: name, schema: ["type": "string"], description: description, place: "header")
    }

    static func uuid(_ name: String, _ description: String) -> Self {
        .init(name: name, schema: ["type": "string", "format": "uuid"], description: description)
    }

    static func date(_ name: String, _ description: String, required: Bool = false) -> Self {
        .init(name: name, schema: ["type": "string", "format": "date"], description: description, required: required)
    }

    static func oneOf(_ name: String, _ values: [String], _ description: String) -> Self {
        .init(name: name, schema: ["type": "string", "enum": .array(values.map(JSONValue.string))], description: description)
    }
}

extension Route {
    /// Describes the route for `/openapi.json` and `/api/docs`.
    @discardableResult
    func document(_ operation: APIOperation) -> Route {
        userInfo["consumerdesk.openapi"] = operation
        return self
    }

    var apiOperation: APIOperation? { userInfo["consumerdesk.openapi"] as? APIOperation }
}
