import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Prometheus
import Vapor

/// Prometheus metrics of one application instance. Kept per `Application` (not the global
/// MetricsSystem), so every test app starts from zero.
final class AppMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let startedAt = Date()
    /// Chat fan-out on this node: from a message reaching the hub (stored and numbered) to its frame
    /// being written to each connection.
    let chatFanout = BatchHistogram(
        name: "chat_fanout_seconds", help: "From a chat message reaching this node's hub to its write to a connection",
        buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.2, 0.5, 1])

    init() {}

    /// Seconds-valued request latency buckets from 1 ms to 10 s.
    static let latencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    func recordRequest(method: String, route: String, status: UInt, seconds: Double) {
        let labels = [("method", method), ("route", route), ("status", String(status))]
        registry.makeCounter(descriptor: Self.descriptor("http_requests_total", "HTTP requests served"), labels: labels).increment()
        registry.makeValueHistogram(
            descriptor: Self.descriptor("http_request_duration_seconds", "Time to produce the response"),
            labels: [("method", method), ("route", route)], buckets: Self.latencyBuckets
        ).record(seconds)
    }

    /// Text exposition: the registry plus values read at scrape time (outbox, memory, uptime).
    func render(on db: any Database, chatConnections: Int = 0) async throws -> String {
        registry.makeGauge(descriptor: Self.descriptor("chat_connections", "Open chat WebSockets on this node")).set(Double(chatConnections))
        let pending = try await OutboxMessage.query(on: db).filter(\.$status == .pending).count()
        let failed = try await OutboxMessage.query(on: db).filter(\.$status == .failed).count()
        registry.makeGauge(descriptor: Self.descriptor("mail_outbox_pending", "Messages waiting to be sent")).set(Double(pending))
        registry.makeGauge(descriptor: Self.descriptor("mail_outbox_failed", "Messages given up after all retries")).set(Double(failed))
        registry.makeGauge(descriptor: Self.descriptor("process_uptime_seconds", "Seconds since start"))
            .set(Date().timeIntervalSince(startedAt))
        if let rss = Self.residentMemoryBytes() {
            registry.makeGauge(descriptor: Self.descriptor("process_resident_memory_bytes", "Resident set size")).set(Double(rss))
        }
        return registry.emitToString() + chatFanout.exposition()
    }

    /// Linux only: the second field of /proc/self/statm is resident pages.
    static func residentMemoryBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// Request id (accepted from a proxy's `X-Request-Id` or made here) in every log line and in the
/// response, plus request metrics.
struct RequestObservationMiddleware: AsyncMiddleware {
    let metrics: AppMetrics

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let started = ContinuousClock.now
        if let incoming = request.headers.first(name: "X-Request-Id"), !incoming.isEmpty, incoming.count <= 128,
            incoming.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        {
            request.logger[metadataKey: "request-id"] = .string(incoming)
        }
        let requestID = request.logger[metadataKey: "request-id"].map { "\($0)" } ?? request.id
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: "X-Request-Id", value: requestID)
        let elapsed = started.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let route = request.route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? "unmatched"
        metrics.recordRequest(method: request.method.rawValue, route: route, status: response.status.code, seconds: seconds)
        return response
    }
}

extension Application {
    private struct MetricsKey: StorageKey { typealias Value = AppMetrics }

    var metrics: AppMetrics {
        if let existing = storage[MetricsKey.self] { return existing }
        let created = AppMetrics()
        storage[MetricsKey.self] = created
        return created
    }
}

/// `/health/live` (the process answers), `/health/ready` (the database answers), `/metrics`.
struct OperationsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("health", "live", use: live).document(.init("Сервер работает", access: .open))
        routes.get("health", "ready", use: ready).document(.init(
            "Сервер готов принимать запросы (база данных отвечает)", description: "503, пока база недоступна.", access: .open,
            also: [503], response: Health.self))
        routes.get("metrics", use: metrics)
    }

    struct Health: Content {
        var status: String
        var database: String?
    }

    @Sendable
    func live(request: Request) async throws -> Health { Health(status: "ok") }

    @Sendable
    func ready(request: Request) async throws -> Response {
        do {
            guard let sql = request.db as? any SQLDatabase else { throw AppError.badRequest("not SQL") }
            try await sql.raw("SELECT 1").run()
            return try await Health(status: "ok", database: "ok").encodeResponse(for: request)
        } catch {
            request.logger.error("Readiness check failed: \(String(reflecting: error))")
            return try await Health(status: "unavailable", database: "unreachable")
                .encodeResponse(status: .serviceUnavailable, for: request)
        }
    }

    @Sendable
    func metrics(request: Request) async throws -> Response {
        if let expected = request.application.config.metricsToken {
            let given = request.headers.bearerAuthorization?.token ?? ""
            guard Secrets.constantTimeEquals(given, expected) else { throw AppError.unauthenticated }
        }
        let text = try await request.application.metrics.render(on: request.db, chatConnections: request.application.chatHub.connectionCount)
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "plain", parameters: ["version": "0.0.4", "charset": "utf-8"])
        return Response(status: .ok, headers: headers, body: .init(string: text))
    }
}

/// A Prometheus histogram that takes a batch of observations under one lock: the chat hub records one
/// per connection, thousands per message from every event loop at once, and a lock per value would have
/// the loops queue for it.
final class BatchHistogram: Sendable {
    /// Observations gathered without a lock, then added at once.
    struct Batch {
        fileprivate var counts: [Int]
        fileprivate var sum = 0.0
        fileprivate let bounds: [Double]

        mutating func add(_ value: Double) {
            var index = 0
            while index < bounds.count, value > bounds[index] { index += 1 }
            counts[index] += 1
            sum += value
        }

        var isEmpty: Bool { counts.allSatisfy { $0 == 0 } }
    }

    let name: String
    let help: String
    /// Upper bounds, ascending; one more count for +Inf.
    let bounds: [Double]
    private let state: NIOLockedValueBox<(counts: [Int], sum: Double)>

    init(name: String, help: String, buckets: [Double]) {
        self.name = name
        self.help = help
        self.bounds = buckets
        state = NIOLockedValueBox((Array(repeating: 0, count: buckets.count + 1), 0))
    }

    func batch() -> Batch { Batch(counts: Array(repeating: 0, count: bounds.count + 1), bounds: bounds) }

    func record(_ batch: Batch) {
        guard !batch.isEmpty else { return }
        state.withLockedValue { state in
            for index in batch.counts.indices { state.counts[index] += batch.counts[index] }
            state.sum += batch.sum
        }
    }

    func record(_ value: Double) {
        var one = batch()
        one.add(value)
        record(one)
    }

    /// The text exposition format: cumulative buckets, sum and count.
    func exposition() -> String {
        let (counts, sum) = state.withLockedValue { $0 }
        var lines = ["# HELP \(name) \(help)", "# TYPE \(name) histogram"]
        var cumulative = 0
        for (index, count) in counts.enumerated() {
            cumulative += count
            let bound = index < bounds.count ? "\(bounds[index])" : "+Inf"
            lines.append("\(name)_bucket{le=\"\(bound)\"} \(cumulative)")
        }
        lines.append("\(name)_sum \(sum)")
        lines.append("\(name)_count \(cumulative)")
        return lines.joined(separator: "\n") + "\n"
    }
}
