import Crypto
import Foundation
import Vapor

/// Secrets handed to people (session keys, API tokens, confirmation links) are random and are
/// stored only as SHA-256 hashes, so a copy of the database opens no account.
enum Secrets {
    /// 32 random bytes, base64url without padding: 43 characters, safe in URLs and cookies.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).hex
    }

    /// Comparison whose time does not depend on where the strings differ.
    static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// Where "now" comes from, so tests of expiry and throttling are exact.
struct AppClock: Sendable {
    var now: @Sendable () -> Date

    static let system = AppClock { Date() }
}

extension Application {
    private struct ClockKey: StorageKey { typealias Value = AppClock }
    private struct ConfigKey: StorageKey { typealias Value = AppConfig }

    var clock: AppClock {
        get { storage[ClockKey.self] ?? .system }
        set { storage[ClockKey.self] = newValue }
    }

    var config: AppConfig {
        get { storage[ConfigKey.self] ?? AppConfig() }
        set { storage[ConfigKey.self] = newValue }
    }
}

extension Request {
    var now: Date { application.clock.now() }

    /// Whether the browser reached us over HTTPS: always with SECURE_COOKIES; otherwise when our own
    /// proxy (trusted with TRUST_FORWARDED_FOR) says so in `X-Forwarded-Proto` — its last entry, the one
    /// it appended. Cookies are then `Secure` and HSTS is sent; a plain-HTTP client is told neither.
    var isSecure: Bool {
        if application.config.secureCookies { return true }
        guard application.config.trustForwardedFor,
            let proto = headers[.xForwardedProto].last?.split(separator: ",").last
        else { return false }
        return proto.trimmingCharacters(in: .whitespaces).lowercased() == "https"
    }

    /// The client's address for throttling. `X-Forwarded-For` only when configured to trust a proxy,
    /// and then its last entry: the one our proxy appended (earlier entries are whatever the client
    /// sent). IPv6 addresses are grouped by /64, which one subscriber usually holds whole.
    var clientAddress: String {
        var address = remoteAddress?.ipAddress ?? "unknown"
        if application.config.trustForwardedFor,
            let forwarded = headers[.xForwardedFor].last?.split(separator: ",").last
        {
            address = forwarded.trimmingCharacters(in: .whitespaces)
        }
        if address.contains(":"), let prefix = Self.ipv6Prefix64(address) { return prefix }
        return address
    }

    /// `2001:db8:1:2::5` → `2001:db8:1:2::/64`; nil for anything that is not a plain IPv6 address.
    static func ipv6Prefix64(_ address: String) -> String? {
        let halves = address.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        let head = halves[0].isEmpty ? [] : halves[0].split(separator: ":").map(String.init)
        let tail = halves.count == 2 && !halves[1].isEmpty ? halves[1].split(separator: ":").map(String.init) : []
        let missing = 8 - head.count - tail.count
        guard halves.count == 2 ? missing >= 1 : missing == 0 else { return nil }
        let groups = head + Array(repeating: "0", count: halves.count == 2 ? missing : 0) + tail
        guard groups.count == 8, groups.allSatisfy({ $0.count <= 4 && $0.allSatisfy(\.isHexDigit) }) else { return nil }
        return groups.prefix(4).map { String(Int($0, radix: 16) ?? 0, radix: 16) }.joined(separator: ":") + "::/64"
    }
}
