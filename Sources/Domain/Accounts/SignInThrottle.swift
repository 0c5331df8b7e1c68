import Foundation

/// Failed sign-ins are limited per account and per network address, so a password cannot be guessed
/// by brute force and one address cannot sweep many accounts.
public struct SignInThrottle: Sendable, Hashable {
    public var limit: Int
    public var window: TimeInterval

    public init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }

    /// Five wrong passwords for one account within 15 minutes lock it for the rest of the window.
    public static let perAccount = SignInThrottle(limit: 5, window: 15 * 60)
    /// An office NAT may carry many honest people, so an address gets more room than one account.
    public static let perAddress = SignInThrottle(limit: 30, window: 15 * 60)

    /// `nil` when another attempt may be made now; otherwise how many whole seconds to wait.
    /// `failures` are the times of recent failed attempts, in any order. Attempts stamped a little
    /// after `now` (parallel requests that started later) count too.
    public func retryAfter(failures: [Date], now: Date) -> Int? {
        let recent = failures.filter { $0 > now.addingTimeInterval(-window) }.sorted()
        guard recent.count >= limit else { return nil }
        // Attempts become possible again when enough old failures fall out of the window.
        let freesAt = recent[recent.count - limit].addingTimeInterval(window)
        return max(1, Int((freesAt.timeIntervalSince(now)).rounded(.up)))
    }

    /// The oldest failure that can still matter; older records may be pruned.
    public func horizon(now: Date) -> Date { now.addingTimeInterval(-window) }
}
