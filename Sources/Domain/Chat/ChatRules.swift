import Foundation

/// What a chat message may be, and how fast one connection may send (issue 7: bad input).
public enum ChatRules {
    public static let maxMessageLength = 4_000

    /// The text as it will be stored and shown (always as text, never markup): trimmed, control characters
    /// other than line breaks and tabs removed. Refused when empty or longer than `maxMessageLength`.
    public static func message(_ raw: String) throws(ValidationFailure) -> String {
        let cleaned = String(String.UnicodeScalarView(raw.unicodeScalars.filter(keep))).trimmingCharacters(in: .whitespacesAndNewlines)
        if cleaned.isEmpty { throw ValidationFailure([FieldError("text", .required)]) }
        if cleaned.count > maxMessageLength { throw ValidationFailure([FieldError("text", .tooLong)]) }
        return cleaned
    }

    /// Line breaks and tabs stay; other control characters go, and so do invisible format characters
    /// (bidirectional overrides can make a message read differently than it is) except the zero-width
    /// joiner emoji are built with.
    static func keep(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\n" || scalar == "\t" { return true }
        switch scalar.properties.generalCategory {
        case .control: return false
        case .format: return scalar == "\u{200D}"
        default: return true
        }
    }
}

/// A token bucket: `capacity` messages at once, refilled at `perSecond`; time is passed in, so tests and
/// connections decide what "now" is.
public struct RateLimiter: Sendable, Hashable {
    public let capacity: Double
    public let perSecond: Double
    private var tokens: Double
    private var last: Double?

    public init(capacity: Int, perSecond: Double) {
        self.capacity = Double(capacity)
        self.perSecond = perSecond
        tokens = Double(capacity)
    }

    /// Takes one token if there is one. `now` in seconds, from any fixed origin.
    public mutating func allow(now: Double) -> Bool {
        if let last { tokens = min(capacity, tokens + max(0, now - last) * perSecond) }
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Seconds until the next message would be allowed.
    public func wait(now: Double) -> Double {
        let current = last.map { min(capacity, tokens + max(0, now - $0) * perSecond) } ?? tokens
        return current >= 1 ? 0 : (1 - current) / perSecond
    }
}

