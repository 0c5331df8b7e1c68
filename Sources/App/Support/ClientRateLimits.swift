import Domain
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Per-client token buckets for public endpoints: one client (an account, or an address when nobody is
/// signed in) may burst `capacity` requests, then `perSecond`. Kept in memory per node, so behind a
/// balancer of n nodes a client gets up to n times as much; buckets idle for ten minutes are forgotten.
final class ClientRateLimits: Sendable {
    let capacity: Int
    let perSecond: Double
    private let buckets = NIOLockedValueBox<[String: (limiter: RateLimiter, seen: Double)]>([:])

    init(capacity: Int, perSecond: Double) {
        self.capacity = capacity
        self.perSecond = perSecond
    }

    /// Throws `AppError.rateLimited` (429 with Retry-After) when the client is over its rate.
    func check(_ client: String, now: Date) throws {
        let t = now.timeIntervalSince1970
        let wait: Double? = buckets.withLockedValue { buckets in
            // A bucket idle long enough to be full again is the same as a new one: only those are forgotten.
            if buckets.count > 10_000 {
                let full = max(600, Double(capacity) / perSecond)
                buckets = buckets.filter { t - $0.value.seen < full }
            }
            var entry = buckets[client] ?? (RateLimiter(capacity: capacity, perSecond: perSecond), t)
            let allowed = entry.limiter.allow(now: t)
            entry.seen = t
            buckets[client] = entry
            return allowed ? nil : entry.limiter.wait(now: t)
        }
        if let wait { throw AppError.rateLimited(retryAfter: max(1, Int(wait.rounded(.up)))) }
    }
}

/// The limits of the public endpoints that cost the most or invite abuse (password sign-in has its own
/// throttle of failed attempts per account and per address, `SignInThrottle`). `nil`: not limited
/// (`RATE_LIMITS=off`, for load tests that drive thousands of requests from one client).
struct PublicRateLimits: Sendable {
    /// Appeals from the portal form, the API, the widget and a chat's message: a person files a few appeals a
    /// day, a script filing hundreds is stopped after the first twenty. Staff registering calls on
    /// someone's behalf are not limited (an accountable account doing its job), nor are Open311 partners
    /// (each files for many citizens with a key that can be revoked at once).
    var submissions: ClientRateLimits?
    /// Full-text search: a person reads results between queries.
    var search: ClientRateLimits?
    /// New accounts: each sends a confirmation mail.
    var registration: ClientRateLimits?

    /// Fresh buckets (each application counts for itself).
    static func standard() -> PublicRateLimits {
        PublicRateLimits(
            submissions: ClientRateLimits(capacity: 20, perSecond: 20.0 / 3600),
            search: ClientRateLimits(capacity: 60, perSecond: 2),
            registration: ClientRateLimits(capacity: 5, perSecond: 1.0 / 60))
    }
}

/// Answers 429 with Retry-After once the client is over the limit; the request is not handled at all.
/// Placed after the authenticators, so a signed-in person is counted by account and not by address
/// (colleagues behind one office gateway do not share a bucket).
struct RateLimitMiddleware: AsyncMiddleware {
    enum Limit: Sendable {
        case submissions, search, registration
    }

    let limit: Limit

    init(_ limit: Limit) { self.limit = limit }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let all = request.application.publicRateLimits
        let limits: ClientRateLimits? =
            switch limit {
            case .submissions: all.submissions
            case .search: all.search
            case .registration: all.registration
            }
        guard let limits else { return try await next.respond(to: request) }
        if let user = request.currentUser, let id = user.id {
            if limit == .submissions, try await request.requireActor().grants.contains(where: { $0.role != .citizen }) {
                return try await next.respond(to: request)
            }
            try limits.check("user:\(id.uuidString)", now: request.now)
        } else {
            try limits.check("address:\(request.clientAddress)", now: request.now)
        }
        return try await next.respond(to: request)
    }
}

extension Application {
    private struct BotLimitsKey: StorageKey { typealias Value = ClientRateLimits }
    private struct PublicLimitsKey: StorageKey { typealias Value = PublicRateLimits }

    /// Set up once in `configure`, before the routes.
    var publicRateLimits: PublicRateLimits {
        get { configured(PublicLimitsKey.self) }
        set { storage[PublicLimitsKey.self] = newValue }
    }

    /// Set up once in `configure`.
    var botRateLimits: ClientRateLimits {
        get { configured(BotLimitsKey.self) }
        set { storage[BotLimitsKey.self] = newValue }
    }
}
