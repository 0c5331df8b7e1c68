import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// The package root, so Leaf finds Resources/Views whatever the working directory.
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.path + "/"
}()

/// Which database the suite runs on: PostgreSQL when `DATABASE_URL` is set (each test in a schema
/// of its own, dropped afterwards), otherwise an in-memory SQLite database per test.
enum TestDatabase {
    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }
    static var name: String { postgresURL == nil ? "sqlite" : "postgres" }
}

/// Builds the real application (same `configure`) on a fresh database, runs `body`, tears down.
func withApp(
    demo: Bool = false, configure adjust: (inout AppConfig) -> Void = { _ in },
    _ body: (Application) async throws -> Void
) async throws {
    let app = try await Application.make(.testing)
    var config: AppConfig
    var schema: String?
    if let url = TestDatabase.postgresURL {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        schema = name
        config = .testing(database: .postgres(url: url))
        config.postgresSearchPath = [name]
    } else {
        config = .testing(database: .sqliteMemory)
    }
    config.workingDirectory = packageRoot
    config.demo = demo
    // The demo is the product as people see it, content included.
    config.seedPortal = demo
    adjust(&config)
    do {
        try await App.configure(app, config)
        try await body(app)
    } catch {
        await tearDown(app, schema: schema)
        try? FileManager.default.removeItem(atPath: config.attachmentsDirectory)
        throw error
    }
    await tearDown(app, schema: schema)
    try? FileManager.default.removeItem(atPath: config.attachmentsDirectory)
}

/// A `multipart/form-data` body as browsers and apps send it: text fields, then files.
struct Multipart {
    struct FilePart {
        var field: String
        var filename: String
        var contentType: String
        var data: Data
    }

    let boundary = "----cd\(UUID().uuidString)"
    var fields: [(String, String)] = []
    var files: [FilePart] = []

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    var body: ByteBuffer {
        var body = Data()
        for (name, value) in fields {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        for file in files {
            body.append(
                Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.field)\"; filename=\"\(file.filename)\"\r\n".utf8))
            body.append(Data("Content-Type: \(file.contentType)\r\n\r\n".utf8))
            body.append(file.data)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        return ByteBuffer(data: body)
    }
}

private func tearDown(_ app: Application, schema: String?) async {
    if let schema, let sql = app.db as? any SQLDatabase {
        try? await sql.raw("DROP SCHEMA IF EXISTS \(ident: schema) CASCADE").run()
    }
    try? await app.asyncShutdown()
}

/// A browser-like client over the in-memory tester: keeps cookies and fills the CSRF field.
final class Browser: @unchecked Sendable {
    let tester: any TestingApplicationTester
    var cookies: [String: String] = [:]

    init(_ app: Application) throws {
        tester = try app.testing()
    }

    private var cookieHeader: HTTPHeaders {
        var headers = HTTPHeaders()
        if !cookies.isEmpty {
            headers.add(name: .cookie, value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        return headers
    }

    private func remember(_ response: TestingHTTPResponse) {
        for header in response.headers[.setCookie] {
            let pair = header.split(separator: ";", maxSplits: 1)[0]
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard let name = parts.first else { continue }
            let value = parts.count > 1 ? parts[1] : ""
            if value.isEmpty || header.lowercased().contains("expires=thu, 01 jan 1970") {
                cookies.removeValue(forKey: name)
            } else {
                cookies[name] = value
            }
        }
    }

    @discardableResult
    func get(_ path: String, headers extra: HTTPHeaders = [:]) async throws -> TestingHTTPResponse {
        var headers = cookieHeader
        headers.add(contentsOf: extra)
        let response = try await tester.sendRequest(.GET, path, headers: headers)
        remember(response)
        return response
    }

    /// Submits a form as a browser would, with the CSRF value from the cookie unless told otherwise.
    @discardableResult
    func post(_ path: String, form: [(String, String)], csrf: String? = nil, headers extra: HTTPHeaders = [:])
        async throws -> TestingHTTPResponse
    {
        if cookies["cd_csrf"] == nil { try await get("/login") }
        var fields = form
        // Signed in, the form value is derived from the session key (as the page would render it).
        let expected = cookies["cd_session"].map(CSRFMiddleware.token(forSessionKey:)) ?? cookies["cd_csrf"] ?? ""
        fields.append(("_csrf", csrf ?? expected))
        let body = fields.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        var headers = cookieHeader
        headers.contentType = .urlEncodedForm
        headers.add(contentsOf: extra)
        let response = try await tester.sendRequest(.POST, path, headers: headers, body: ByteBuffer(string: body))
        remember(response)
        return response
    }

    /// Submits a multipart form with one file, as a browser's file upload does.
    @discardableResult
    func upload(_ path: String, field: String, filename: String, contentType: String, data: Data)
        async throws -> TestingHTTPResponse
    {
        try await postMultipart(
            path, Multipart(files: [.init(field: field, filename: filename, contentType: contentType, data: data)]))
    }

    /// Submits a multipart form (fields and files) with the CSRF value a page would carry.
    @discardableResult
    func postMultipart(_ path: String, _ form: Multipart) async throws -> TestingHTTPResponse {
        if cookies["cd_csrf"] == nil { try await get("/login") }
        let token = cookies["cd_session"].map(CSRFMiddleware.token(forSessionKey:)) ?? cookies["cd_csrf"] ?? ""
        var form = form
        form.fields.insert(("_csrf", token), at: 0)
        var headers = cookieHeader
        headers.replaceOrAdd(name: .contentType, value: form.contentType)
        let response = try await tester.sendRequest(.POST, path, headers: headers, body: form.body)
        remember(response)
        return response
    }

    func signIn(_ login: String, password: String = "demo2026") async throws {
        let response = try await post("/login", form: [("login", login), ("password", password)])
        #expect(response.status == .seeOther, "sign-in of \(login) failed: \(response.body.string.prefix(300))")
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// JSON API helper with an optional bearer token.
struct API {
    let tester: any TestingApplicationTester
    var token: String?

    init(_ app: Application, token: String? = nil) throws {
        tester = try app.testing()
        self.token = token
    }

    func send(_ method: HTTPMethod, _ path: String, json: (any Encodable & Sendable)? = nil, headers extra: HTTPHeaders = [:])
        async throws -> TestingHTTPResponse
    {
        var headers = extra
        if let token { headers.bearerAuthorization = BearerAuthorization(token: token) }
        return try await tester.sendRequest(method, path, headers: headers) { request in
            if let json { try request.content.encode(AnyEncodable(json), as: .json) }
        }
    }

    func send(_ method: HTTPMethod, _ path: String, multipart form: Multipart, headers extra: HTTPHeaders = [:])
        async throws -> TestingHTTPResponse
    {
        var headers = extra
        if let token { headers.bearerAuthorization = BearerAuthorization(token: token) }
        headers.replaceOrAdd(name: .contentType, value: form.contentType)
        return try await tester.sendRequest(method, path, headers: headers, body: form.body)
    }

    /// Signs in with the API and returns a client holding the token.
    static func signedIn(_ app: Application, _ login: String, password: String = "demo2026") async throws -> API {
        let response = try await API(app).send(.POST, "/api/v1/auth/token", json: ["login": login, "password": password])
        #expect(response.status == .ok, "token for \(login): \(response.body.string)")
        let body = try response.content.decode(TokenBody.self)
        return try API(app, token: body.token)
    }

    struct TokenBody: Decodable {
        var token: String
        var expiresAt: Date
    }
}

struct AnyEncodable: Encodable, Sendable {
    let value: any Encodable & Sendable
    init(_ value: any Encodable & Sendable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

extension TestingHTTPResponse {
    var location: String? { headers.first(name: .location) }
}
