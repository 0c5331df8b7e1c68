import Vapor

/// Logs each request's method and path, like Vapor's `RouteLoggingMiddleware`, except that a path that is
/// itself a key — a claim's link, a rating link — is logged without it: whoever reads the logs must not
/// be able to open a person's claim or rate their answer.
struct RequestLoggingMiddleware: AsyncMiddleware {
    var logLevel: Logger.Level = .info

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        request.logger.log(level: logLevel, "\(request.method) \(Self.redacted(request.url.path))")
        return try await next.respond(to: request)
    }

    /// Path prefixes whose next segment is a secret token.
    static let secretAfter: [[Substring]] = [["claims", "d"], ["api", "v1", "claims", "d"], ["rate"]]

    static func redacted(_ path: String) -> String {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false)
        for prefix in secretAfter {
            let start = 1  // parts[0] is the empty piece before the leading slash
            guard parts.count > start + prefix.count, Array(parts[start..<(start + prefix.count)]) == prefix else { continue }
            parts[start + prefix.count] = "…"
        }
        return parts.joined(separator: "/")
    }
}
