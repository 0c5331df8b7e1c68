import Fluent
import Foundation
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
    let chatFanout: ValueHistogram

    init() {
        chatFanout = registry.makeValueHistogram(
            descriptor: Self.descriptor("chat_fanout_seconds", "From a chat message reaching this node's hub to its write to a connection"),
            buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1])
    }

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
        return registry.emitToString()
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
        routes.get("health", "live", use: live)
        routes.get("health", "ready", use: ready)
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
