import Foundation

/// What a WebSocket client may send (issue 7). Every topic — a consultation or a staff channel — is one
/// ordered stream of messages numbered 1, 2, 3…; a client says which number it saw last and gets the rest.
public enum ClientFrame: Sendable, Hashable {
    /// Start receiving a topic's messages after `after` (0 or absent: the whole history, newest 200).
    /// `token`: the anonymous citizen's key to their consultation.
    case subscribe(topic: UUID, after: Int64, token: String?)
    case unsubscribe(topic: UUID)
    /// `ref`: the client's own id for the message, echoed in the acknowledgement or error.
    case send(topic: UUID, text: String, ref: String?)
    /// Staff channels: everything up to `seq` has been read.
    case read(topic: UUID, seq: Int64)
    /// The citizen or operator is typing (shown to the other side, never stored).
    case typing(topic: UUID)
    case ping
}

public enum FrameError: Error, Equatable, Sendable {
    /// Not a JSON object, or too big to be one of ours.
    case malformed
    case unknownType(String)
    /// A field missing or of the wrong kind.
    case invalidField(String)

    /// English, for the `reason` of the error frame.
    public var reason: String {
        switch self {
        case .malformed: "The frame is not a JSON object"
        case .unknownType(let type): "Unknown frame type \"\(type)\""
        case .invalidField(let field): "Field \"\(field)\" is missing or invalid"
        }
    }
}

public enum ChatFrames {
    /// A frame larger than this is refused before parsing: a 4,000-character message in JSON, escaped, fits.
    public static let maxFrameBytes = 64 * 1024

    private struct Raw: Decodable {
        var type: String?
        var topic: String?
        // Numbers as Double: a fraction is then a field error, not "not JSON" (JSONDecoder's answer for 1.5 as Int64).
        var after: Double?
        var token: String?
        var text: String?
        var ref: String?
        var seq: Double?
    }

    public static func parse(_ text: String) throws(FrameError) -> ClientFrame {
        guard text.utf8.count <= maxFrameBytes, text.utf8.first(where: { !" \t\r\n".utf8.contains($0) }) == UInt8(ascii: "{") else {
            throw .malformed
        }
        let raw: Raw
        do {
            raw = try JSONDecoder().decode(Raw.self, from: Data(text.utf8))
        } catch let DecodingError.typeMismatch(_, context) {
            throw .invalidField(context.codingPath.first?.stringValue ?? "type")
        } catch {
            throw .malformed
        }
        guard let type = raw.type else { throw .invalidField("type") }
        func topic() throws(FrameError) -> UUID {
            guard let value = raw.topic, let id = UUID(uuidString: value) else { throw .invalidField("topic") }
            return id
        }
        func whole(_ value: Double?, _ field: String) throws(FrameError) -> Int64? {
            guard let value else { return nil }
            guard let exact = Int64(exactly: value), exact >= 0 else { throw .invalidField(field) }
            return exact
        }
        func limited(_ value: String?, _ field: String, _ limit: Int) throws(FrameError) -> String? {
            if let value, value.count > limit { throw .invalidField(field) }
            return value
        }
        switch type {
        case "subscribe":
            return .subscribe(topic: try topic(), after: try whole(raw.after, "after") ?? 0, token: try limited(raw.token, "token", 200))
        case "unsubscribe":
            return .unsubscribe(topic: try topic())
        case "send":
            guard let message = raw.text else { throw .invalidField("text") }
            return .send(topic: try topic(), text: message, ref: try limited(raw.ref, "ref", 100))
        case "read":
            guard let seq = try whole(raw.seq, "seq") else { throw .invalidField("seq") }
            return .read(topic: try topic(), seq: seq)
        case "typing":
            return .typing(topic: try topic())
        case "ping":
            return .ping
        default:
            throw .unknownType(String(type.prefix(40)))
        }
    }
}

/// How one connection keeps a topic's messages in order with none lost or repeated, whatever way they
/// reach it (sent on this node, announced by another node, or read back after a reconnect).
public enum DeliveryGate {
    public enum Step: Equatable, Sendable {
        /// The next one: send it.
        case send
        /// Already sent.
        case skip
        /// Some are missing in between: read everything after `after` from the store, in order.
        case fetch(after: Int64)
    }

    /// `seq`: the message at hand; `lastSent`: the highest number this connection has sent on the topic.
    public static func step(seq: Int64, lastSent: Int64, haveMessage: Bool) -> Step {
        if seq <= lastSent { return .skip }
        if seq == lastSent + 1, haveMessage { return .send }
        return .fetch(after: lastSent)
    }
}
