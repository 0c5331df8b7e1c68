import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

/// Every route that takes a body, fed what a broken or hostile client sends: malformed JSON and
/// multipart, a wrong media type, a traversing file name, odd and huge Unicode. The answer is always a
/// 4xx (or, for harmless text, a success), never a 5xx, and the server carries on. Body size limits
/// need a real socket (the in-memory tester hands bodies over whole): see the last test.
@Suite("Malformed input on every route", .serialized)
struct MalformedInputTests {
    /// The route's path with its parameters filled: an existing appeal number, otherwise values that
    /// name nothing.
    static func path(_ route: Route, number: String) -> String {
        "/" + route.path.map { component -> String in
            switch component {
            case .constant(let text): return text
            case .parameter(let name): return name == "number" ? number : (name == "file" ? "requests.json" : UUID().uuidString)
            case .anything, .catchall: return "x"
            }
        }.joined(separator: "/")
    }

    static let odd: String = {
        let pieces = [
            "\u{202E}gnp.exe", "\u{200B}\u{200D}\u{FEFF}", "\u{0301}\u{0301}\u{0301}a", "🧑🏽‍⚖️👩‍👩‍👧", "\u{FFFD}\u{1F4A9}",
            "\u{0000}nul", "𝕬𝖇𝖈", "\u{2028}line\u{2029}", String(repeating: "ы", count: 5000),
        ]
        return pieces.joined(separator: " ")
    }()

    @Test func noBodyEverMakesAServerError() async throws {
        try await withApp(demo: true, configure: { $0.rateLimits = false }) { app in
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            let territory = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-volgograd").first()?.id)
            let filed = try await citizen.send(
                .POST, "/api/v1/appeals",
                json: AppealBody(
                    fields: ["subcategoryCode": "trade-refund-defective", "territoryId": territory.uuidString, "text": "Продавец не вернул деньги."],
                    answers: ["purchaseDate": "2026-10-01", "claimFiled": "да"]))
            let number = try filed.content.decode(AppealDTO.self).number
            let admin = try await API.signedIn(app, "admin@consumerdesk.test")
            let browser = try Browser(app)
            try await browser.signIn("admin@consumerdesk.test")
            let csrf = try #require(browser.cookies["cd_session"].map(CSRFMiddleware.token(forSessionKey:)))

            let oddJSON = try JSONSerialization.data(withJSONObject: [
                "text": Self.odd, "name": Self.odd, "title": Self.odd, "surname": Self.odd, "email": Self.odd, "comment": Self.odd, "subcategoryCode": Self.odd,
                "login": Self.odd, "password": Self.odd, "q": Self.odd, "action": Self.odd, "organisations": [Self.odd],
            ])
            let bodies: [(String, String, ByteBuffer)] = [
                ("malformed JSON", "application/json", ByteBuffer(string: #"{"text": "не закрыто", "#)),
                ("JSON of the wrong shape", "application/json", ByteBuffer(string: #"[1, {"text": {"nested": true}}, null]"#)),
                ("a wrong media type", "application/xml", ByteBuffer(string: "<appeal><text>x</text></appeal>")),
                ("broken multipart", "multipart/form-data; boundary=zzz", ByteBuffer(string: "--zzz\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nнет конца")),
                ("multipart without a boundary", "multipart/form-data", ByteBuffer(string: "text=x")),
                ("a traversing file name", "multipart/form-data; boundary=b",
                 ByteBuffer(string: "--b\r\nContent-Disposition: form-data; name=\"attachments[]\"; filename=\"../../../etc/passwd\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 x\r\n--b--\r\n")),
                ("odd and huge Unicode", "application/json", ByteBuffer(data: oddJSON)),
                ("odd form fields", "application/x-www-form-urlencoded", ByteBuffer(string: "text=%00%E2%80%AE%ZZ&name[]=&&&=")),
            ]
            let routes = app.routes.all.filter { [.POST, .PATCH, .PUT].contains($0.method) }
            #expect(routes.count > 80)
            var failures: [String] = []
            for route in routes {
                let path = Self.path(route, number: number)
                let isAPI = path.hasPrefix("/api/")
                for (kind, type, body) in bodies {
                    var headers: HTTPHeaders = ["Content-Type": type]
                    let response: TestingHTTPResponse
                    if isAPI {
                        headers.bearerAuthorization = BearerAuthorization(token: try #require(admin.token))
                        response = try await admin.tester.sendRequest(route.method, path, headers: headers, body: body)
                    } else {
                        headers.add(name: "X-CSRF-Token", value: csrf)
                        headers.add(name: .cookie, value: browser.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
                        response = try await browser.tester.sendRequest(route.method, path, headers: headers, body: body)
                    }
                    if response.status.code >= 500 {
                        failures.append("\(route.method) \(path) with \(kind): \(response.status) \(response.body.string.prefix(200))")
                    }
                }
            }
            #expect(failures.isEmpty, "\(failures.count) server errors:\n\(failures.prefix(40).joined(separator: "\n"))")
            // And it still serves.
            #expect(try await citizen.send(.GET, "/api/v1/appeals/\(number)").status == .ok)
            // A traversing name never leaves the store: every stored file is a server-made key inside it.
            for file in try await AppealAttachment.query(on: app.db).all() {
                #expect(!file.fileName.contains("/") && !file.fileName.contains(".."), "\(file.fileName)")
            }
        }
    }

    @Test func bodiesOverTheLimitAreRefusedOnTheWire() async throws {
        try await withApp(demo: true) { app in
            try await withServer(app) { port in
                let base = "http://127.0.0.1:\(port)"
                let small = try await app.client.post(URI(string: base + "/api/v1/auth/register")) { request in
                    request.headers.contentType = .json
                    request.body = ByteBuffer(repeating: UInt8(ascii: " "), count: 2 * 1024 * 1024)
                }
                #expect(small.status == .payloadTooLarge, "1 MB for an ordinary call")
                let big = try await app.client.post(URI(string: base + "/api/v1/appeals")) { request in
                    request.headers.contentType = .json
                    request.body = ByteBuffer(repeating: UInt8(ascii: " "), count: 60 * 1024 * 1024)
                }
                #expect(big.status == .payloadTooLarge || big.status == .unauthorized, "\(big.status)")
                let keyed = try await app.client.post(URI(string: base + "/api/v1/auth/register")) { request in
                    request.headers.contentType = .json
                    request.headers.add(name: "Idempotency-Key", value: "big-1")
                    request.body = ByteBuffer(repeating: UInt8(ascii: " "), count: 2 * 1024 * 1024)
                }
                #expect(keyed.status == .payloadTooLarge, "the idempotency check collects with the route's own limit")
                // A stranger is not made welcome to a large route's limit by sending a key.
                let stranger = try await app.client.post(URI(string: base + "/api/v1/appeals/34-2026-000001/actions")) { request in
                    request.headers.contentType = .json
                    request.headers.add(name: "Idempotency-Key", value: "big-2")
                    request.body = ByteBuffer(repeating: UInt8(ascii: " "), count: 2 * 1024 * 1024)
                }
                #expect(stranger.status == .payloadTooLarge || stranger.status == .unauthorized, "\(stranger.status)")
                #expect(try await app.client.get(URI(string: base + "/health/live")).status == .ok)
            }
        }
    }
}
