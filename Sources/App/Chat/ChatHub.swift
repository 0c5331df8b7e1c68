import Domain
import Fluent
import Foundation
import NIOCore
import Logging
import NIOConcurrencyHelpers
import PostgresKit
import PostgresNIO
import Vapor

/// What a connection's loop receives: frames from its client, and the topics' news from the hub.
enum ConnectionEvent: Sendable {
    case frame(String)
    case binary
    /// A stored message, and its frame encoded once for every connection.
    case message(ChatMessage, String, ContinuousClock.Instant)
    /// A message was stored (on another node): read it from the database if it is new here.
    case poke(topic: UUID, seq: Int64)
    /// Someone is typing (`from`: their connection on this node, nil when on another node).
    case typing(topic: UUID, name: String, from: ObjectIdentifier?)
}

/// This node's subscriptions: topic → the connections listening. The hub hands each topic's messages on
/// strictly in number order (a message that overtakes another — two senders committing at once, or a
/// remote one still on its way — waits for it, and the gap is read once from the database), and never
/// waits for a slow client: it only puts events in inboxes. An inbox that overflows closes its socket;
/// the client reconnects and resumes from its last number.
final class ChatHub: Sendable {
    typealias Inbox = AsyncStream<ConnectionEvent>.Continuation
    /// Reads a topic's messages after a number (the store; injected so the hub stays testable).
    typealias Fetch = @Sendable (UUID, Int64) async throws -> [ChatMessage]

    /// A frame encoded once for every connection: the JSON text, and the whole WebSocket text frame
    /// (header and text) as it goes on the wire.
    struct Frame: Sendable {
        let payload: ByteBuffer
        let wire: ByteBuffer

        init(_ json: String) {
            payload = ByteBuffer(string: json)
            let length = payload.readableBytes
            var wire = ByteBuffer()
            wire.reserveCapacity(length + 10)
            wire.writeInteger(UInt8(0x81)) // FIN, text (RFC 6455 §5.2); a server's frames are not masked
            if length < 126 {
                wire.writeInteger(UInt8(length))
            } else if length <= Int(UInt16.max) {
                wire.writeInteger(UInt8(126))
                wire.writeInteger(UInt16(length))
            } else {
                wire.writeInteger(UInt8(127))
                wire.writeInteger(UInt64(length))
            }
            var text = payload
            wire.writeBuffer(&text)
            self.wire = wire
        }

        private init(payload: ByteBuffer, wire: ByteBuffer) {
            self.payload = payload
            self.wire = wire
        }

        /// The same bytes in storage of its own: each event loop writes its own copy, so that thousands
        /// of writes on two cores do not count references on one shared object.
        func copied() -> Frame {
            Frame(payload: ByteBuffer(bytes: payload.readableBytesView), wire: ByteBuffer(bytes: wire.readableBytesView))
        }
    }

    /// A message on its way to the listeners; the fast path reads only `topic`, `seq` and `frame`.
    struct Outgoing: Sendable {
        let topic: UUID
        let seq: Int64
        let frame: Frame
        let message: ChatMessage
        let json: String
    }

    /// A connection listening to a topic (a class: the hub hands thousands of them to the loops per
    /// message, and one reference is cheaper to pass than a bundle of closures).
    final class Subscriber: Sendable {
        let inbox: Inbox
        let close: @Sendable () -> Void
        /// What the connection has sent: the hub writes the next message straight to the socket through
        /// it (see `SentNumbers`); without it, every message goes through the inbox.
        let sent: SentNumbers?
        /// The socket's event loop: the hub hands each loop its sockets' writes in one task, so that
        /// every write is made on its own loop (no hop per socket) and both loops write at once.
        let eventLoop: (any EventLoop)?

        init(inbox: Inbox, close: @escaping @Sendable () -> Void, sent: SentNumbers? = nil) {
            self.inbox = inbox
            self.close = close
            self.sent = sent
            self.eventLoop = sent?.ws.eventLoop
        }
    }

    /// A topic's listeners on one event loop (`loop` nil: written from the publishing thread).
    private struct Group {
        let loop: (any EventLoop)?
        let listeners: [Subscriber]
    }

    private struct Topic {
        private(set) var listeners: [ObjectIdentifier: Subscriber] = [:]
        /// The listeners by event loop, made when a message comes after a change of listeners.
        private var cachedGroups: [Group]?
        /// The highest number handed out here.
        var highest: Int64
        /// Messages that came before their predecessors, with their encoded frames.
        var pending: [Int64: (ChatMessage, String)] = [:]
        var fetching = false

        init(highest: Int64) { self.highest = highest }

        mutating func set(_ connection: ObjectIdentifier, _ subscriber: Subscriber?) {
            listeners[connection] = subscriber
            cachedGroups = nil
        }

        mutating func groups() -> [Group] {
            if let cachedGroups { return cachedGroups }
            var byLoop: [ObjectIdentifier: (loop: any EventLoop, listeners: [Subscriber])] = [:]
            var inline: [Subscriber] = []
            for listener in listeners.values {
                if let loop = listener.eventLoop {
                    byLoop[ObjectIdentifier(loop), default: (loop, [])].listeners.append(listener)
                } else {
                    inline.append(listener)
                }
            }
            var groups = byLoop.values.map { Group(loop: $0.loop, listeners: $0.listeners) }
            if !inline.isEmpty { groups.append(Group(loop: nil, listeners: inline)) }
            cachedGroups = groups
            return groups
        }
    }

    private struct State {
        var topics: [UUID: Topic] = [:]
        var connections: [ObjectIdentifier: @Sendable () -> Void] = [:]
    }

    private let state = NIOLockedValueBox(State())
    private let fetch: Fetch
    /// Told how long each direct write took after the message reached the hub (seconds).
    private let delivered: BatchHistogram?

    init(fetch: @escaping Fetch, delivered: BatchHistogram? = nil) {
        self.fetch = fetch
        self.delivered = delivered
    }

    /// `seen`: the topic's last number when the subscriber read it; it starts the count when nobody on
    /// this node listened to the topic before (otherwise the count goes on as it is).
    func subscribe(_ topic: UUID, connection: ObjectIdentifier, subscriber: Subscriber, seen: Int64) {
        state.withLockedValue { state in
            state.topics[topic, default: Topic(highest: seen)].set(connection, subscriber)
        }
    }

    func unsubscribe(_ topic: UUID, connection: ObjectIdentifier) {
        state.withLockedValue { state in
            state.topics[topic]?.set(connection, nil)
            if state.topics[topic]?.listeners.isEmpty == true { state.topics[topic] = nil }
        }
    }

    func connected(_ connection: ObjectIdentifier, close: @escaping @Sendable () -> Void) {
        state.withLockedValue { $0.connections[connection] = close }
    }

    func disconnected(_ connection: ObjectIdentifier, topics: some Sequence<UUID>) {
        state.withLockedValue { state in
            state.connections[connection] = nil
            for topic in topics {
                state.topics[topic]?.set(connection, nil)
                if state.topics[topic]?.listeners.isEmpty == true { state.topics[topic] = nil }
            }
        }
    }

    var connectionCount: Int { state.withLockedValue { $0.connections.count } }

    var subscribedTopics: [UUID] { state.withLockedValue { Array($0.topics.keys) } }

    /// Closes every socket (the node is stopping: clients go on at another node or when it is back).
    func closeAll() {
        let closers = state.withLockedValue { Array($0.connections.values) }
        for close in closers { close() }
    }

    /// The highest number handed out here, or `nil` when nobody on this node listens to the topic.
    func highest(_ topic: UUID) -> Int64? {
        state.withLockedValue { $0.topics[topic]?.highest }
    }

    func publish(_ message: ChatMessage) {
        let topicID = message.topic
        guard state.withLockedValue({ $0.topics[topicID] != nil }) else { return }
        let json = ServerFrame.json(message)
        var ready: [(ChatMessage, String)] = []
        var groups: [Group] = []
        var startFetch = false
        state.withLockedValue { state in
            guard var topic = state.topics[topicID], message.seq > topic.highest else { return }
            if message.seq == topic.highest + 1 {
                ready.append((message, json))
                topic.highest = message.seq
                while let next = topic.pending.removeValue(forKey: topic.highest + 1) {
                    ready.append(next)
                    topic.highest += 1
                }
            } else {
                topic.pending[message.seq] = (message, json)
                if !topic.fetching {
                    topic.fetching = true
                    startFetch = true
                }
            }
            if !ready.isEmpty { groups = topic.groups() }
            state.topics[topicID] = topic
        }
        if !ready.isEmpty {
            let now = ContinuousClock.now
            let frames = ready.map { Frame($0.1) }
            func batch(copying: Bool) -> [Outgoing] {
                zip(ready, frames).map { ready, frame in
                    Outgoing(topic: ready.0.topic, seq: ready.0.seq, frame: copying ? frame.copied() : frame, message: ready.0, json: ready.1)
                }
            }
            for group in groups {
                if let loop = group.loop {
                    let own = batch(copying: true)
                    loop.execute { self.deliver(own, to: group.listeners, since: now) }
                } else {
                    deliver(batch(copying: false), to: group.listeners, since: now)
                }
            }
        }
        if startFetch {
            Task { await self.fillGap(topicID) }
        }
    }

    /// Each message to each listener: straight to its socket when it is the next one there, otherwise
    /// through its inbox (an inbox that overflows closes its socket).
    private func deliver(_ batch: [Outgoing], to listeners: [Subscriber], since: ContinuousClock.Instant) {
        var times = delivered?.batch()
        defer { if let times { delivered?.record(times) } }
        for listener in listeners {
            for index in batch.indices {
                if let sent = listener.sent, sent.writeIfNext(topic: batch[index].topic, seq: batch[index].seq, frame: batch[index].frame) {
                    let elapsed = since.duration(to: .now).components
                    times?.add(Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
                    continue
                }
                if case .dropped = listener.inbox.yield(.message(batch[index].message, batch[index].json, since)) {
                    listener.close()
                    break
                }
            }
        }
    }

    /// A later message arrived first: give the missing one a moment to arrive the usual way, then read
    /// the gap from the store once for everybody on this node.
    private func fillGap(_ topicID: UUID) async {
        try? await Task.sleep(for: .milliseconds(30))
        guard let after = highest(topicID) else { return }
        do {
            for message in try await fetch(topicID, after) { publish(message) }
        } catch {
            // The connections' own gate reads the gap when they next hear of the topic.
        }
        let again = state.withLockedValue { state -> Bool in
            guard var topic = state.topics[topicID] else { return false }
            topic.fetching = false
            let stuck = !topic.pending.isEmpty
            if stuck { topic.fetching = true }
            state.topics[topicID] = topic
            return stuck
        }
        if again {
            try? await Task.sleep(for: .milliseconds(200))
            await fillGap(topicID)
        }
    }

    func send(_ event: ConnectionEvent, to topic: UUID, except: ObjectIdentifier? = nil) {
        let inboxes = state.withLockedValue { state in
            (state.topics[topic]?.listeners ?? [:]).filter { $0.key != except }.map(\.value.inbox)
        }
        for inbox in inboxes { inbox.yield(event) }
    }
}

struct ChatHubLifecycle: LifecycleHandler {
    let hub: ChatHub

    func shutdownAsync(_ application: Application) async {
        hub.closeAll()
    }
}

/// Several nodes on one PostgreSQL: each message's commit NOTIFYs `<topic>:<seq>`; every node LISTENs and
/// reads the new messages of the topics its clients follow, once per node, then hands them to its hub.
/// A lost listening connection is reopened and the followed topics are caught up from the database.
final class PostgresChatBus: Sendable {
    private let configuration: PostgresConnection.Configuration
    private let channel: String
    private let logger: Logger
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(configuration: PostgresConnection.Configuration, channel: String, logger: Logger) {
        self.configuration = configuration
        self.channel = channel
        self.logger = logger
    }

    func start(app: Application) {
        let channel = channel
        let configuration = configuration
        let logger = logger
        let started = Task { [weak app] in
            var attempt = 0
            while !Task.isCancelled {
                guard let app else { return }
                do {
                    let connection = try await PostgresConnection.connect(
                        on: app.eventLoopGroup.any(), configuration: configuration, id: 1, logger: logger
                    ).get()
                    attempt = 0
                    do {
                        try await connection.listen(on: channel) { notifications in
                            // Anything announced while this node was not listening.
                            for topic in app.chatHub.subscribedTopics { await Self.catchUp(topic, app: app) }
                            for try await notification in notifications {
                                if notification.payload.hasPrefix("t:") {
                                    // «печатает…» from another node: shown, never stored.
                                    let parts = notification.payload.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
                                    guard parts.count == 4, parts[1] != Substring(app.chatNode), let topic = UUID(uuidString: String(parts[2]))
                                    else { continue }
                                    app.chatHub.send(.typing(topic: topic, name: String(parts[3]), from: nil), to: topic)
                                    continue
                                }
                                let parts = notification.payload.split(separator: ":")
                                guard parts.count == 2, let topic = UUID(uuidString: String(parts[0])), let seq = Int64(parts[1])
                                else { continue }
                                guard let highest = app.chatHub.highest(topic), seq > highest else { continue }
                                await Self.catchUp(topic, app: app)
                            }
                        }
                    } catch {
                        if !Task.isCancelled { logger.warning("Chat bus: listening stopped: \(String(reflecting: error))") }
                    }
                    try? await connection.close()
                } catch {
                    logger.warning("Chat bus: cannot connect to PostgreSQL: \(String(reflecting: error))")
                }
                attempt += 1
                try? await Task.sleep(for: .milliseconds(min(5_000, 200 * attempt)))
            }
        }
        task.withLockedValue { $0 = started }
    }

    func stop() async {
        let running = task.withLockedValue { task -> Task<Void, Never>? in
            defer { task = nil }
            return task
        }
        running?.cancel()
        await running?.value
    }

    private static func catchUp(_ topic: UUID, app: Application) async {
        guard let highest = app.chatHub.highest(topic) else { return }
        do {
            for message in try await ChatStore.messages(of: topic, after: highest, on: app.db) { app.chatHub.publish(message) }
        } catch {
            // The connections fetch for themselves on their next message; nothing is lost.
            app.logger.warning("Chat bus: could not read topic \(topic): \(String(reflecting: error))")
        }
    }
}

struct ChatBusLifecycle: LifecycleHandler {
    let bus: PostgresChatBus

    func shutdownAsync(_ application: Application) async {
        await bus.stop()
    }
}

extension Application {
    private struct ChatHubKey: StorageKey { typealias Value = ChatHub }
    private struct ChatBusChannelKey: StorageKey { typealias Value = String }
    private struct ChatBusKey: StorageKey { typealias Value = PostgresChatBus }
    private struct ChatNodeKey: StorageKey { typealias Value = String }

    /// This process among the nodes (tells its own typing notices apart on the bus).
    var chatNode: String {
        get { storage[ChatNodeKey.self] ?? "" }
        set { storage[ChatNodeKey.self] = newValue }
    }

    var chatBus: PostgresChatBus? {
        get { storage[ChatBusKey.self] }
        set { storage[ChatBusKey.self] = newValue }
    }

    /// Set up once in `configure`.
    var chatHub: ChatHub {
        get {
            guard let hub = storage[ChatHubKey.self] else { fatalError("chatHub is set in configure") }
            return hub
        }
        set { storage[ChatHubKey.self] = newValue }
    }

    /// The NOTIFY channel on PostgreSQL (one per schema, so test schemas do not hear each other); `nil` on SQLite.
    var chatBusChannel: String? {
        get { storage[ChatBusChannelKey.self] }
        set { storage[ChatBusChannelKey.self] = newValue }
    }
}
