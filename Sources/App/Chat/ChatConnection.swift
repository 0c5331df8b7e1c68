import Domain
import Fluent
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket
import SQLKit
import Vapor

/// Who is on the other end of a socket, decided once when it opens (session cookie or bearer token;
/// an anonymous citizen proves each consultation with its key instead).
struct ChatIdentity: Sendable {
    var userID: UUID?
    var displayName: String?
    var actor: Actor?
    var mayOperate: Bool
}

/// What a person may do on a topic.
enum TopicGrant: Sendable, Equatable {
    /// The consultation's citizen (by key or account).
    case citizen(name: String)
    /// Any operator reads consultations; only the one on it writes.
    case consultationOperator
    /// A member of a staff channel.
    case channelMember
}

enum ChatAccess {
    /// `nil` for a topic that does not exist and for one the person may not read alike: nothing leaks.
    static func grant(_ topic: UUID, token: String?, identity: ChatIdentity, app: Application) async throws -> TopicGrant? {
        if let consultation = try await ConsultationRecord.find(topic, on: app.db) {
            if let token, Secrets.constantTimeEquals(Secrets.hash(token), consultation.tokenHash) {
                return .citizen(name: consultation.citizenName)
            }
            if let user = identity.userID, user == consultation.citizenID { return .citizen(name: consultation.citizenName) }
            return identity.mayOperate ? .consultationOperator : nil
        }
        guard let actor = identity.actor, let channel = try await StaffChatService.channel(topic, on: app.db) else { return nil }
        let tree = try await OrganisationQueries.tree(on: app.db)
        return ChannelAccess.mayRead(actor, channel, tree: tree) ? .channelMember : nil
    }
}

/// What a connection has sent per topic, shared by its own loop and the hub: the hub writes the next
/// message of a topic straight to the socket when it is exactly the next one and the connection is not
/// reading history (no task switch per client: this is what keeps fan-out to thousands fast); anything
/// else goes through the connection's inbox and `DeliveryGate`. Every frame is decided under the lock
/// and written in the order decided (see `emit`), so messages reach the socket in number order.
final class SentNumbers: @unchecked Sendable {
    private let lock = NIOLock()
    private var last: [UUID: Int64] = [:]
    /// Topics whose history is being sent: the hub leaves them to the connection's loop.
    private var syncing: Set<UUID> = []
    /// Frames handed to the event loop and not written yet: while there are any, a frame decided on
    /// the loop joins the queue too rather than overtake them.
    private var queued = 0
    let ws: WebSocket
    private let wire: WireWriter?

    /// `wire`: the socket's own writer of whole frames, when the upgrade handed over its channel.
    init(ws: WebSocket, wire: WireWriter?) {
        self.ws = ws
        self.wire = wire
    }

    /// The hub's fast path: `true` if the message was written now or had been already.
    /// `frame`: the message's frame, encoded once for every connection (sent without a copy).
    func writeIfNext(topic: UUID, seq: Int64, frame: ChatHub.Frame) -> Bool {
        lock.withLock {
            guard !syncing.contains(topic), let sent = last[topic] else { return false }
            if seq <= sent { return true }
            guard seq == sent + 1 else { return false }
            last[topic] = seq
            emit(frame)
            return true
        }
    }

    /// The connection's own path: the gate's decision and the write, together.
    func deliver(topic: UUID, seq: Int64, json: String?) -> DeliveryGate.Step? {
        lock.withLock {
            guard let sent = last[topic] else { return nil }
            let step = DeliveryGate.step(seq: seq, lastSent: sent, haveMessage: json != nil)
            if step == .send {
                last[topic] = seq
                emit(ChatHub.Frame(json!))
            }
            return step
        }
    }

    /// Any other frame (acks, errors, typing…), in its turn with the messages.
    func send(_ json: String) {
        lock.withLock { emit(ChatHub.Frame(json)) }
    }

    /// Under the lock: written at once when on the socket's loop with nothing waiting, otherwise queued
    /// on the loop (its tasks run in the order given, so frames go out in the order decided).
    private func emit(_ frame: ChatHub.Frame) {
        if queued == 0, ws.eventLoop.inEventLoop {
            write(frame)
            return
        }
        queued += 1
        ws.eventLoop.execute {
            self.write(frame)
            self.lock.withLock { self.queued -= 1 }
        }
    }

    /// On the socket's loop.
    private func write(_ frame: ChatHub.Frame) {
        if let wire {
            wire.write(frame.wire)
        } else {
            ws.send(frame.payload, opcode: .text)
        }
    }

    func lastSent(_ topic: UUID) -> Int64? { lock.withLock { last[topic] } }

    func start(_ topic: UUID, after: Int64) {
        lock.withLock {
            last[topic] = after
            syncing.insert(topic)
        }
    }

    func synced(_ topic: UUID) { lock.withLock { _ = syncing.remove(topic) } }

    func stop(_ topic: UUID) {
        lock.withLock {
            last[topic] = nil
            syncing.remove(topic)
        }
    }
}

/// Writes whole WebSocket frames, encoded once per message for every connection, straight to the
/// socket: past WebSocketKit and the frame encoder, which would build the same header again for each of
/// thousands of connections. Written from the encoder's place in the pipeline, so anything between it
/// and the socket (TLS) still applies, and in turn with the frames WebSocketKit itself sends (pings,
/// close). On the channel's loop only.
struct WireWriter: Sendable {
    private let context: NIOLoopBound<ChannelHandlerContext>

    /// On the channel's loop, once the upgrade has put the WebSocket handlers in place; `nil` if the
    /// pipeline has no frame encoder (then frames go through WebSocketKit).
    init?(channel: any Channel) {
        guard let context = try? channel.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self) else {
            return nil
        }
        self.context = NIOLoopBound(context, eventLoop: channel.eventLoop)
    }

    func write(_ frame: ByteBuffer) {
        context.value.writeAndFlush(NIOAny(frame), promise: nil)
    }
}

/// One WebSocket connection: frames from the client and the topics' messages go through one inbox and
/// are handled one at a time, so per topic every message is sent once, in order (`DeliveryGate`).
enum ChatConnection {
    /// Per connection: 10 messages at once, then one a second (a person typing never notices).
    static let sendLimit = (capacity: 10, perSecond: 1.0)

    /// Call from the upgrade closure, synchronously: the handlers are attached before any frame can arrive.
    /// `wire`: see `WireWriter` (nil: every frame goes through WebSocketKit).
    static func attach(_ ws: WebSocket, wire: WireWriter?, identity: ChatIdentity, app: Application) {
        // Bounded: a client that stops reading is disconnected rather than buffered without end; it
        // resumes from its last number when it comes back.
        let (events, inbox) = AsyncStream.makeStream(of: ConnectionEvent.self, bufferingPolicy: .bufferingOldest(inboxLimit))
        ws.pingInterval = .seconds(30)
        ws.onText { _, text in inbox.yield(.frame(text)) }
        ws.onBinary { _, _ in inbox.yield(.binary) }
        ws.onClose.whenComplete { _ in inbox.finish() }
        // The hub outlives nothing: captured here, not read from the application while it stops.
        let hub = app.chatHub
        let id = ObjectIdentifier(ws)
        hub.connected(id) { _ = ws.close(code: .goingAway) }
        Task {
            var session = Session(ws: ws, wire: wire, identity: identity, app: app, hub: hub, inbox: inbox)
            for await event in events {
                await session.handle(event)
            }
            hub.disconnected(id, topics: session.topics.keys)
        }
    }

    static let inboxLimit = 4_096

    struct Subscription {
        var grant: TopicGrant
    }

    struct Session {
        let ws: WebSocket
        let identity: ChatIdentity
        let app: Application
        let hub: ChatHub
        let inbox: ChatHub.Inbox
        let sent: SentNumbers
        /// Identifies the connection in the hub (the socket object lives as long as it does).
        let id: ObjectIdentifier
        var topics: [UUID: Subscription] = [:]
        var limiter = RateLimiter(capacity: sendLimit.capacity, perSecond: sendLimit.perSecond)
        var lastTyping = -Double.infinity
        let started = ContinuousClock.now

        init(ws: WebSocket, wire: WireWriter?, identity: ChatIdentity, app: Application, hub: ChatHub, inbox: ChatHub.Inbox) {
            self.ws = ws
            self.identity = identity
            self.app = app
            self.hub = hub
            self.inbox = inbox
            self.sent = SentNumbers(ws: ws, wire: wire)
            self.id = ObjectIdentifier(ws)
        }

        var seconds: Double {
            let elapsed = ContinuousClock.now - started
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }

        mutating func handle(_ event: ConnectionEvent) async {
            do {
                switch event {
                case .frame(let text):
                    await handleFrame(text)
                case .binary:
                    error("malformed", "Binary frames are not accepted; send JSON text")
                case .message(let message, let json, let published):
                    if try await deliver(message.topic, seq: message.seq, json: json) {
                        let elapsed = published.duration(to: .now).components
                        app.metrics.chatFanout.record(Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
                    }
                case .poke(let topic, let seq):
                    try await deliver(topic, seq: seq, json: nil)
                case .typing(let topic, let name, let from):
                    guard from != id, topics[topic] != nil else { return }
                    write(ServerFrame(type: "typing", topic: topic, name: name))
                }
            } catch {
                app.logger.warning("Chat connection: \(String(reflecting: error))")
                self.error("server_error", "The server could not complete the request")
            }
        }

        // MARK: Client frames

        mutating func handleFrame(_ text: String) async {
            let frame: ClientFrame
            do {
                frame = try ChatFrames.parse(text)
            } catch {
                let code: String
                switch error {
                case .malformed: code = "malformed"
                case .unknownType: code = "unknown_type"
                case .invalidField: code = "invalid_field"
                }
                self.error(code, error.reason)
                return
            }
            do {
                switch frame {
                case .ping:
                    write(ServerFrame(type: "pong"))
                case .subscribe(let topic, let after, let token):
                    try await subscribe(topic, after: after, token: token)
                case .unsubscribe(let topic):
                    topics[topic] = nil
                    hub.unsubscribe(topic, connection: id)
                    sent.stop(topic)
                    write(ServerFrame(type: "unsubscribed", topic: topic))
                case .send(let topic, let text, let ref):
                    try await send(text, to: topic, ref: ref)
                case .read(let topic, let seq):
                    guard topics[topic]?.grant == .channelMember, let user = identity.userID else {
                        error("not_subscribed", "Subscribe to the channel first", topic: topic)
                        return
                    }
                    try await StaffChatService.markRead(topic, user: user, seq: seq, on: app.db)
                case .typing(let topic):
                    guard let subscription = topics[topic] else { return }
                    let now = seconds
                    guard now - lastTyping >= 2 else { return }
                    lastTyping = now
                    let name: String
                    switch subscription.grant {
                    case .citizen(let citizen): name = citizen
                    default: name = identity.displayName ?? ""
                    }
                    hub.send(.typing(topic: topic, name: name, from: id), to: topic)
                    if let channel = app.chatBusChannel, let sql = app.db as? any SQLDatabase {
                        let payload = "t:\(app.chatNode):\(topic.uuidString):\(String(name.prefix(100)))"
                        try await sql.raw("SELECT pg_notify(\(bind: channel), \(bind: payload))").run()
                    }
                }
            } catch let failure as ValidationFailure {
                let field = failure.errors.first
                let code = field?.code == .tooLong ? "too_long" : "invalid_field"
                error(code, "\(field?.field ?? "text"): \(Strings.en(field?.code ?? .invalidValue))", ref: frame.ref, topic: frame.topic)
            } catch {
                app.logger.warning("Chat frame failed: \(String(reflecting: error))")
                self.error("server_error", "The server could not complete the request", ref: frame.ref, topic: frame.topic)
            }
        }

        mutating func subscribe(_ topic: UUID, after: Int64, token: String?) async throws {
            guard let grant = try await ChatAccess.grant(topic, token: token, identity: identity, app: app) else {
                error("forbidden", "No such topic, or you may not read it", topic: topic)
                return
            }
            // Listen first, then read where the topic stands: whatever is stored after that reading
            // comes through the inbox, whatever before it comes from the history below, and the gate
            // drops what both bring.
            let seen = try await ChatStore.lastSeq(of: topic, on: app.db) ?? 0
            let ws = ws
            let sent = sent
            // Until the history is out, the hub leaves this topic to the loop (`start` marks it syncing).
            sent.start(topic, after: min(after, seen))
            hub.subscribe(
                topic, connection: id,
                subscriber: .init(inbox: inbox, close: { _ = ws.close(code: .policyViolation) }, sent: sent),
                seen: seen)
            let lastSeq = try await ChatStore.lastSeq(of: topic, on: app.db) ?? seen
            var frame = ServerFrame(type: "subscribed", topic: topic)
            frame.lastSeq = lastSeq
            if let consultation = try await ConsultationRecord.find(topic, on: app.db) {
                frame.state = consultation.state.rawValue
            }
            write(frame)
            topics[topic] = Subscription(grant: grant)
            if after == 0 {
                let recent = try await ChatStore.latest(of: topic, limit: 200, on: app.db)
                if let first = recent.first { sent.start(topic, after: first.seq - 1) }
                for message in recent { try await deliver(topic, seq: message.seq, json: ServerFrame.json(message)) }
            } else {
                sent.start(topic, after: min(after, lastSeq))
                try await catchUp(topic, upTo: lastSeq)
            }
            sent.synced(topic)
        }

        mutating func send(_ raw: String, to topic: UUID, ref: String?) async throws {
            if !limiter.allow(now: seconds) {
                let wait = max(1, Int(limiter.wait(now: seconds).rounded(.up)))
                var frame = ServerFrame(type: "error", topic: topic, ref: ref)
                frame.code = "rate_limited"
                frame.reason = "Too many messages; wait \(wait) seconds"
                frame.message = ChatStrings.flood(wait)
                frame.retryAfter = wait
                write(frame)
                return
            }
            let text = try ChatRules.message(raw)
            let grant: TopicGrant
            if let known = topics[topic]?.grant {
                grant = known
            } else if let resolved = try await ChatAccess.grant(topic, token: nil, identity: identity, app: app) {
                grant = resolved
            } else {
                error("forbidden", "No such topic, or you may not write to it", ref: ref, topic: topic)
                return
            }
            let now = app.clock.now()
            let stored: ChatMessage
            switch grant {
            case .citizen(let name):
                guard let record = try await ConsultationRecord.find(topic, on: app.db), record.state != .closed else {
                    error("closed", "The consultation is closed", ref: ref, topic: topic)
                    return
                }
                let author = ChatStore.Author(kind: .citizen, id: identity.userID, name: name)
                let resent = try await ChatStore.sent(to: topic, author: author, ref: ref, on: app.db)
                stored = try await ChatStore.append(to: topic, author: author, text: text, ref: ref, app: app, now: now)
                if resent == nil, record.state == .bot || record.state == .waiting {
                    let app = app
                    Task { try? await ConsultationService.citizenSaid(topic, text: text, app: app, now: now) }
                }
            case .consultationOperator:
                guard let record = try await ConsultationRecord.find(topic, on: app.db), record.state == .active,
                    let me = identity.userID, record.operatorID == me
                else {
                    error("not_yours", "Only the operator on the consultation writes in it", ref: ref, topic: topic)
                    return
                }
                stored = try await ChatStore.append(
                    to: topic, author: .init(kind: .operator, id: me, name: identity.displayName ?? ""), text: text, ref: ref, app: app,
                    now: now)
            case .channelMember:
                stored = try await ChatStore.append(
                    to: topic, author: .init(kind: .staff, id: identity.userID, name: identity.displayName ?? ""), text: text,
                    touchChannel: true, ref: ref, app: app, now: now)
            }
            var ack = ServerFrame(type: "ack", topic: topic, ref: ref)
            ack.seq = stored.seq
            write(ack)
        }

        // MARK: Delivery

        /// Whether the message itself went out now (not skipped, not read back from the store).
        @discardableResult
        mutating func deliver(_ topic: UUID, seq: Int64, json: String?) async throws -> Bool {
            guard topics[topic] != nil, let step = sent.deliver(topic: topic, seq: seq, json: json) else { return false }
            switch step {
            case .send: return true
            case .skip: return false
            case .fetch:
                try await catchUp(topic, upTo: seq)
                return false
            }
        }

        /// Sends everything after the last sent message up to `upTo`, from the database.
        mutating func catchUp(_ topic: UUID, upTo: Int64) async throws {
            while topics[topic] != nil, let last = sent.lastSent(topic), last < upTo {
                let page = try await ChatStore.messages(of: topic, after: last, limit: 500, on: app.db)
                guard !page.isEmpty else { return }
                for message in page { _ = sent.deliver(topic: topic, seq: message.seq, json: ServerFrame.json(message)) }
                if page.count < 500 { return }
            }
        }

        func write(_ frame: ServerFrame) {
            sent.send(ServerFrame.json(frame))
        }

        func error(_ code: String, _ reason: String, ref: String? = nil, topic: UUID? = nil) {
            var frame = ServerFrame(type: "error", topic: topic, ref: ref)
            frame.code = code
            frame.reason = reason
            write(frame)
        }
    }
}

/// Everything the server sends besides messages.
struct ServerFrame: Encodable {
    var type: String
    var topic: UUID?
    var ref: String?
    var seq: Int64?
    var lastSeq: Int64?
    var state: String?
    var name: String?
    var code: String?
    /// English, for programs.
    var reason: String?
    /// Russian, for people.
    var message: String?
    var retryAfter: Int?

    init(type: String, topic: UUID? = nil, ref: String? = nil, name: String? = nil) {
        self.type = type
        self.topic = topic
        self.ref = ref
        self.name = name
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    static func json(_ value: some Encodable) -> String {
        (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
    }
}

extension ClientFrame {
    var ref: String? {
        if case .send(_, _, let ref) = self { return ref }
        return nil
    }

    var topic: UUID? {
        switch self {
        case .subscribe(let topic, _, _), .unsubscribe(let topic), .send(let topic, _, _), .read(let topic, _), .typing(let topic):
            topic
        case .ping:
            nil
        }
    }
}
