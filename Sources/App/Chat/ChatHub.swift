import Domain
import Fluent
import Foundation
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
    case message(ChatMessage, String)
    /// A message was stored (on another node): read it from the database if it is new here.
    case poke(topic: UUID, seq: Int64)
    case typing(topic: UUID, name: String, from: ObjectIdentifier)
}

/// This node's subscriptions: topic → the connections listening. Delivery only puts an event in each
/// connection's inbox (never waits for a slow client); each connection orders and sends on its own.
final class ChatHub: Sendable {
    typealias Inbox = AsyncStream<ConnectionEvent>.Continuation

    private struct State {
        var topics: [UUID: [ObjectIdentifier: Inbox]] = [:]
        /// The highest message number this node has handed out per subscribed topic.
        var highest: [UUID: Int64] = [:]
        var connections = 0
    }

    private let state = NIOLockedValueBox(State())

    /// `seen`: the topic's last number when the subscriber read it, so the bus need not re-read older ones.
    func subscribe(_ topic: UUID, connection: ObjectIdentifier, inbox: Inbox, seen: Int64) {
        state.withLockedValue { state in
            state.topics[topic, default: [:]][connection] = inbox
            state.highest[topic] = max(state.highest[topic] ?? 0, seen)
        }
    }

    func unsubscribe(_ topic: UUID, connection: ObjectIdentifier) {
        state.withLockedValue { state in
            state.topics[topic]?[connection] = nil
            if state.topics[topic]?.isEmpty == true {
                state.topics[topic] = nil
                state.highest[topic] = nil
            }
        }
    }

    func connected() { state.withLockedValue { $0.connections += 1 } }

    func disconnected(_ connection: ObjectIdentifier, topics: some Sequence<UUID>) {
        state.withLockedValue { state in
            state.connections -= 1
            for topic in topics {
                state.topics[topic]?[connection] = nil
                if state.topics[topic]?.isEmpty == true {
                    state.topics[topic] = nil
                    state.highest[topic] = nil
                }
            }
        }
    }

    var connectionCount: Int { state.withLockedValue { $0.connections } }

    var subscribedTopics: [UUID] { state.withLockedValue { Array($0.topics.keys) } }

    /// The highest number handed out here, or `nil` when nobody on this node listens to the topic.
    func highest(_ topic: UUID) -> Int64? {
        state.withLockedValue { $0.topics[topic] == nil ? nil : ($0.highest[topic] ?? 0) }
    }

    func publish(_ message: ChatMessage) {
        let inboxes = state.withLockedValue { state -> [Inbox] in
            guard let listeners = state.topics[message.topic] else { return [] }
            state.highest[message.topic] = max(state.highest[message.topic] ?? 0, message.seq)
            return Array(listeners.values)
        }
        guard !inboxes.isEmpty else { return }
        let json = ServerFrame.json(message)
        for inbox in inboxes { inbox.yield(.message(message, json)) }
    }

    func send(_ event: ConnectionEvent, to topic: UUID, except: ObjectIdentifier? = nil) {
        let inboxes = state.withLockedValue { state in
            (state.topics[topic] ?? [:]).filter { $0.key != except }.map(\.value)
        }
        for inbox in inboxes { inbox.yield(event) }
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
