import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import App

@Suite("Chat hub ordering", .timeLimit(.minutes(10)))
struct ChatHubTests {
    static func message(_ topic: UUID, _ seq: Int64) -> ChatMessage {
        ChatMessage(topic: topic, seq: seq, id: UUID(), authorKind: "staff", authorName: "A", text: "m\(seq)", at: Date(), meta: nil)
    }

    static func received(_ events: AsyncStream<ConnectionEvent>, count: Int) async -> [Int64] {
        var seqs: [Int64] = []
        for await event in events {
            if case .message(let message, _, _) = event { seqs.append(message.seq) }
            if seqs.count == count { break }
        }
        return seqs
    }

    @Test func aMessageThatOvertakesWaitsForItsPredecessor() async {
        let topic = UUID()
        let hub = ChatHub(fetch: { _, _ in [] })
        let (events, inbox) = AsyncStream.makeStream(of: ConnectionEvent.self)
        hub.subscribe(topic, connection: ObjectIdentifier(ChatHubTests.self), subscriber: .init(inbox: inbox, close: {}), seen: 1)
        hub.publish(Self.message(topic, 3))
        hub.publish(Self.message(topic, 1))  // already counted: dropped
        hub.publish(Self.message(topic, 2))
        hub.publish(Self.message(topic, 3))  // twice (the bus and this node): once
        hub.publish(Self.message(topic, 4))
        #expect(await Self.received(events, count: 3) == [2, 3, 4])
    }

    @Test func aGapThatNobodyFillsIsReadFromTheStoreOnce() async {
        let topic = UUID()
        let reads = NIOLockedValueBox(0)
        let hub = ChatHub(fetch: { id, after in
            reads.withLockedValue { $0 += 1 }
            return (after + 1...5).map { ChatHubTests.message(id, $0) }
        })
        var streams: [AsyncStream<ConnectionEvent>] = []
        final class Key {}
        let keys = (0..<20).map { _ in Key() }
        for key in keys {
            let (events, inbox) = AsyncStream.makeStream(of: ConnectionEvent.self)
            streams.append(events)
            hub.subscribe(topic, connection: ObjectIdentifier(key), subscriber: .init(inbox: inbox, close: {}), seen: 0)
        }
        hub.publish(Self.message(topic, 5))
        for events in streams { #expect(await Self.received(events, count: 5) == [1, 2, 3, 4, 5]) }
        #expect(reads.withLockedValue { $0 } == 1, "one read for all twenty listeners")
    }
}
