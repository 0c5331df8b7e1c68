import Domain
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Per-client token buckets for public endpoints that write (the bot's questions land in the training
/// queue): one address may burst `capacity` requests, then `perSecond`. Kept in memory per node; buckets
/// idle for ten minutes are forgotten.
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
            if buckets.count > 10_000 { buckets = buckets.filter { t - $0.value.seen < 600 } }
            var entry = buckets[client] ?? (RateLimiter(capacity: capacity, perSecond: perSecond), t)
            let allowed = entry.limiter.allow(now: t)
            entry.seen = t
            buckets[client] = entry
            return allowed ? nil : entry.limiter.wait(now: t)
        }
        if let wait { throw AppError.rateLimited(retryAfter: max(1, Int(wait.rounded(.up)))) }
    }
}

extension Application {
    private struct BotLimitsKey: StorageKey { typealias Value = ClientRateLimits }

    /// Set up once in `configure`.
    var botRateLimits: ClientRateLimits {
        get { configured(BotLimitsKey.self) }
        set { storage[BotLimitsKey.self] = newValue }
    }
}
