import Foundation

/// When to try an outgoing message again after a failure: exponential backoff with a ceiling,
/// and a point where we stop and mark it failed for a person to look at.
public struct MailDeliveryPolicy: Sendable, Hashable {
    public var firstDelay: TimeInterval
    public var maximumDelay: TimeInterval
    public var maximumAttempts: Int

    public init(firstDelay: TimeInterval = 30, maximumDelay: TimeInterval = 6 * 3600, maximumAttempts: Int = 12) {
        self.firstDelay = firstDelay
        self.maximumDelay = maximumDelay
        self.maximumAttempts = maximumAttempts
    }

    public enum Next: Sendable, Hashable {
        case retry(at: Date)
        case giveUp
    }

    /// After the `attempts`-th failed attempt (1-based), when to try again.
    /// 30 s, 1 min, 2 min, 4 min … capped at 6 h; twelve attempts span roughly a day.
    public func afterFailure(attempts: Int, now: Date) -> Next {
        guard attempts < maximumAttempts else { return .giveUp }
        let exponent = Double(max(0, attempts - 1))
        let delay = min(maximumDelay, firstDelay * pow(2, exponent))
        return .retry(at: now.addingTimeInterval(delay))
    }
}
