import Foundation

/// Webhooks to document systems (СЭД) and other partners: what an endpoint may be, which deliveries it
/// gets, and how a delivery is signed, so a receiver can check it with the same rules.
public enum WebhookRules {
    public static let maxURLLength = 500
    /// A receiver slower than this is a failed attempt (tried again later).
    public static let timeout: TimeInterval = 10
    /// Kept in the delivery log: the first characters of what the receiver answered.
    public static let maxLoggedResponse = 500
    /// Retries: 1 min, 2, 4 … capped at 6 h; twelve attempts span about 20 hours.
    public static let policy = MailDeliveryPolicy(firstDelay: 60, maximumDelay: 6 * 3600, maximumAttempts: 12)

    /// `https://sed.example.ru/hooks/consumerdesk` as given (trimmed), or nil when it is not an https URL
    /// with a host (plain http only to this machine: the body carries personal data), has credentials in
    /// it, or is too long. Credentials belong in the signature, not in a URL that lands in logs.
    public static func endpoint(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= maxURLLength, let url = URLComponents(string: trimmed),
            let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased(), !host.isEmpty,
            scheme == "https" || (scheme == "http" && ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host)),
            url.user == nil, url.password == nil, url.fragment == nil,
            !trimmed.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F })
        else { return nil }
        return trimmed
    }

    /// The text that is signed: the timestamp, a dot, the body. A receiver that also checks the timestamp
    /// is fresh refuses replays of an old delivery.
    public static func signedText(timestamp: Int, body: Data) -> Data {
        Data("\(timestamp).".utf8) + body
    }

    /// A delivery is done when the receiver says 2xx; anything else (or no answer) is tried again.
    public static func delivered(status: Int) -> Bool { (200..<300).contains(status) }

    /// A subscription's events: `[]` means every event.
    public static func wants(_ events: [String], _ event: String) -> Bool {
        events.isEmpty || events.contains(event)
    }
}
