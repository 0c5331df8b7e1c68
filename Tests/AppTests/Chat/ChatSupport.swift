import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing
import Vapor

@testable import App

/// A frame as the tests read it (every field any frame may carry).
struct WireFrame: Decodable, Sendable {
    var type: String
    var topic: UUID?
    var seq: Int64?
    var lastSeq: Int64?
    var id: UUID?
    var text: String?
    var authorKind: String?
    var authorName: String?
    var code: String?
    var reason: String?
    var message: String?
    var state: String?
    var ref: String?
    var name: String?
}

/// A real WebSocket client against the app listening on 127.0.0.1; every wait has a time limit.
final class TestSocket: Sendable {
    /// Filled synchronously from the socket's callback, so frames stay in the order they arrived.
    final class Mailbox: Sendable {
        private let frames = NIOLockedValueBox<[WireFrame]>([])

        func add(_ text: String) {
            guard let frame = try? JSONDecoder().decode(WireFrame.self, from: Data(text.utf8)) else { return }
            frames.withLockedValue { $0.append(frame) }
        }

        func take(_ match: @Sendable (WireFrame) -> Bool) -> WireFrame? {
            frames.withLockedValue { frames in
                guard let index = frames.firstIndex(where: match) else { return nil }
                return frames.remove(at: index)
            }
        }

        func all() -> [WireFrame] { frames.withLockedValue { $0 } }
    }

    let ws: WebSocket
    let mailbox: Mailbox

    private init(ws: WebSocket, mailbox: Mailbox) {
        self.ws = ws
        self.mailbox = mailbox
    }

    static func connect(port: Int, path: String = "/api/v1/ws", headers: HTTPHeaders = [:], on app: Application) async throws -> TestSocket {
        let mailbox = Mailbox()
        let promise = app.eventLoopGroup.any().makePromise(of: WebSocket.self)
        WebSocket.connect(to: "ws://127.0.0.1:\(port)\(path)", headers: headers, on: app.eventLoopGroup) { ws in
            // Attached before the socket is handed over: no frame is missed.
            ws.onText { _, text in mailbox.add(text) }
            promise.succeed(ws)
        }.whenFailure { promise.fail($0) }
        return TestSocket(ws: try await promise.futureResult.get(), mailbox: mailbox)
    }

    func send(_ object: [String: any Sendable]) async throws {
        let data = try JSONSerialization.data(withJSONObject: object)
        try await ws.send(String(decoding: data, as: UTF8.self))
    }

    func sendRaw(_ text: String) async throws { try await ws.send(text) }

    /// The first frame (oldest first) matching, waiting up to `seconds`.
    func next(_ seconds: Double = 30, _ match: @escaping @Sendable (WireFrame) -> Bool = { _ in true }) async throws -> WireFrame {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let frame = mailbox.take(match) { return frame }
            try await Task.sleep(for: .milliseconds(10))
        }
        let seen = mailbox.all().map(\.type)
        throw TestSocketTimeout(seen: seen)
    }

    /// Messages of a topic until one matches, in arrival order.
    func messages(_ topic: UUID, until match: @escaping @Sendable (WireFrame) -> Bool, _ seconds: Double = 30) async throws -> [WireFrame] {
        var result: [WireFrame] = []
        while true {
            let frame = try await next(seconds) { $0.type == "message" && $0.topic == topic }
            result.append(frame)
            if match(frame) { return result }
        }
    }

    func subscribe(_ topic: UUID, after: Int64 = 0, token: String? = nil) async throws -> WireFrame {
        var frame: [String: any Sendable] = ["type": "subscribe", "topic": topic.uuidString, "after": after]
        if let token { frame["token"] = token }
        try await send(frame)
        return try await next { ($0.type == "subscribed" || $0.type == "error") && $0.topic == topic }
    }

    func say(_ text: String, in topic: UUID, ref: String = UUID().uuidString) async throws {
        try await send(["type": "send", "topic": topic.uuidString, "text": text, "ref": ref])
    }

    func close() async throws { try await ws.close() }
}

struct TestSocketTimeout: Error, CustomStringConvertible {
    var seen: [String]
    var description: String { "no matching frame in time; frames waiting: \(seen)" }
}

/// Runs the app on a free port of 127.0.0.1 for the body.
func withServer(_ app: Application, _ body: (Int) async throws -> Void) async throws {
    try await app.server.start(address: .hostname("127.0.0.1", port: 0))
    let port = try #require(app.http.server.shared.localAddress?.port)
    do {
        try await body(port)
    } catch {
        await app.server.shutdown()
        throw error
    }
    await app.server.shutdown()
}

/// Tuesday 24 November 2026 at `hour`:00 in Volgograd (UTC+3): a working day.
func workingDay(hour: Int) -> Date {
    Date(timeIntervalSince1970: 1_795_467_600 + Double(hour) * 3600)
}
