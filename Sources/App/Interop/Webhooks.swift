import AsyncHTTPClient
import Domain
import Fluent
import NIOCore
import SQLKit
import Vapor

/// An organisation's endpoint for appeal events (see M0028).
final class WebhookSubscription: Model, @unchecked Sendable {
    static let schema = "webhook_subscriptions"

    @ID(key: .id) var id: UUID?
    @Parent(key: "organisation_id") var organisation: Organisation
    @Field(key: "url") var url: String
    /// The signing key. Kept as given: the server needs it to sign every delivery.
    @Field(key: "secret") var secret: String
    /// Comma-separated event names (`appeal.accepted,…`); empty for every event.
    @Field(key: "events") var events: String
    @Field(key: "active") var active: Bool
    @OptionalField(key: "note") var note: String?
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "created_by") var createdBy: UUID?

    init() {}

    var eventList: [String] { events.split(separator: ",").map(String.init) }
}

/// One event for one subscription: its body, and how sending it went. The admin page's log.
final class WebhookDelivery: Model, @unchecked Sendable {
    static let schema = "webhook_deliveries"

    enum Status: String, Codable, Sendable {
        case pending, delivered, failed
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "subscription_id") var subscription: WebhookSubscription
    @Field(key: "event_id") var eventID: UUID
    @Field(key: "event") var event: String
    @Field(key: "appeal_number") var appealNumber: String
    @Field(key: "payload") var payload: String
    @Field(key: "status") var status: Status
    @Field(key: "attempts") var attempts: Int
    @Field(key: "next_attempt_at") var nextAttemptAt: Date
    @OptionalField(key: "locked_until") var lockedUntil: Date?
    @OptionalField(key: "last_status") var lastStatus: Int?
    @OptionalField(key: "last_error") var lastError: String?
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "delivered_at") var deliveredAt: Date?

    init() {}
}

/// The body of a delivery: which event, when, and the appeal as staff of the organisation see it.
struct WebhookPayload: Content {
    /// The delivery's id (also in `X-ConsumerDesk-Delivery`): a receiver that stores it ignores repeats.
    var id: UUID
    var event: String
    var occurredAt: Date
    /// The appeal's status before and after the event (`appeal` is the appeal when the delivery was
    /// prepared, which may be a step later).
    var fromStatus: AppealStatus?
    var toStatus: AppealStatus?
    var organisationId: UUID
    var appeal: AppealDTO
}

enum WebhookEvents {
    /// `appeal.accepted` for the history's `accepted`.
    static func name(_ action: AppealEvent.Action) -> String { "appeal." + action.rawValue }

    static var all: [String] { AppealEvent.Action.allCases.map(name) }
}

/// Signs and sends deliveries. Headers: `X-ConsumerDesk-Event`, `X-ConsumerDesk-Delivery`,
/// `X-ConsumerDesk-Timestamp` (Unix seconds) and `X-ConsumerDesk-Signature: sha256=<hex>`, the
/// HMAC-SHA256 of `<timestamp>.<body>` with the subscription's secret.
enum WebhookSignature {
    static func sign(secret: String, timestamp: Int, body: Data) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: WebhookRules.signedText(timestamp: timestamp, body: body), using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    static func newSecret() -> String { "whsec_" + Secrets.randomToken() }
}

/// Turns queued appeal events into deliveries and sends those that are due. Each delivery is claimed with
/// a conditional update (a lease) before it is sent, so several nodes never send one delivery at once;
/// a node killed mid-send leaves a lease that runs out, and the delivery is tried again (receivers tell
/// repeats apart by the delivery id).
actor WebhookWorker {
    private let app: Application
    private let client: HTTPClient
    private let policy: MailDeliveryPolicy
    private var task: Task<Void, Never>?
    private var stopped = false

    static let batchSize = 200
    static let parallel = 8
    static let lease: TimeInterval = 5 * 60
    static let pollInterval: Duration = .seconds(2)

    init(app: Application, policy: MailDeliveryPolicy = WebhookRules.policy) {
        self.app = app
        self.policy = policy
        // Its own client: no redirects (a delivery goes where the admin said), a short timeout.
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(
            connect: .seconds(Int64(WebhookRules.timeout)), read: .seconds(Int64(WebhookRules.timeout)))
        client = HTTPClient(eventLoopGroupProvider: .shared(app.eventLoopGroup), configuration: configuration)
    }

    func start() {
        guard task == nil else { return }
        task = Task { await self.run() }
    }

    /// Stops the loop and closes the client; call once, at shutdown (tests too).
    func stop() async {
        task?.cancel()
        await task?.value
        task = nil
        if !stopped {
            stopped = true
            try? await client.shutdown()
        }
    }

    private func run() async {
        while !Task.isCancelled {
            var busy = false
            do {
                let prepared = try await prepare()
                let sent = try await deliverDue()
                busy = prepared == Self.batchSize || sent == Self.batchSize
            } catch {
                app.logger.error("Webhook pass failed: \(String(reflecting: error))")
            }
            if !busy { try? await Task.sleep(for: Self.pollInterval) }
        }
    }

    /// Turns up to a batch of queued events into deliveries, in one transaction with their removal from
    /// the queue. Returns how many queued events were handled.
    @discardableResult
    nonisolated func prepare(limit: Int = WebhookWorker.batchSize) async throws -> Int {
        let now = app.clock.now()
        return try await app.db.transaction { db in
            guard let sql = db as? any SQLDatabase else { return 0 }
            var select = sql.select().column("seq").column("event_id").from("webhook_queue").orderBy("seq").limit(limit)
            // Another node's pass takes other rows instead of waiting or doubling.
            if sql.dialect.name == "postgresql" { select = select.lockingClause(SQLRaw("FOR UPDATE SKIP LOCKED")) }
            let queued = try await select.all()
            guard !queued.isEmpty else { return 0 }
            let seqs = try queued.map { try $0.decode(column: "seq", as: Int64.self) }
            let eventIDs = try queued.map { try $0.decode(column: "event_id", as: UUID.self) }

            let events = try await AppealEvent.query(on: db).filter(\.$id ~~ eventIDs).all()
            let appeals = try await Appeal.query(on: db).filter(\.$id ~~ Set(events.map(\.$appeal.id)).map { $0 })
                .with(\.$attachments).all()
            let byID = Dictionary(appeals.compactMap { appeal in appeal.id.map { ($0, appeal) } }, uniquingKeysWith: { a, _ in a })
            let subscriptions = try await WebhookSubscription.query(on: db).filter(\.$active == true).all()
            let tree = try await OrganisationQueries.tree(on: db)
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601

            var deliveries: [WebhookDelivery] = []
            for event in events.sorted(by: { $0.at < $1.at }) {
                // An appeal with no executor yet (in moderation, unrouted) belongs to no organisation's system.
                guard let appeal = byID[event.$appeal.id], let executor = appeal.$executorOrganisation.id else { continue }
                let name = WebhookEvents.name(event.action)
                for subscription in subscriptions {
                    let organisation = subscription.$organisation.id
                    guard WebhookRules.wants(subscription.eventList, name),
                        executor == organisation || tree.isWithin(executor, subtreeOf: organisation),
                        let subscriptionID = subscription.id, let eventID = event.id
                    else { continue }
                    let id = UUID()
                    let payload = WebhookPayload(
                        id: id, event: name, occurredAt: event.at, fromStatus: event.fromStatus, toStatus: event.toStatus,
                        organisationId: organisation, appeal: try AppealDTO(appeal))
                    let delivery = WebhookDelivery()
                    delivery.id = id
                    delivery.$subscription.id = subscriptionID
                    delivery.eventID = eventID
                    delivery.event = name
                    delivery.appealNumber = appeal.number
                    delivery.payload = String(decoding: try encoder.encode(payload), as: UTF8.self)
                    delivery.status = .pending
                    delivery.attempts = 0
                    delivery.nextAttemptAt = now
                    delivery.createdAt = now
                    deliveries.append(delivery)
                }
            }
            if !deliveries.isEmpty { try await deliveries.create(on: db) }
            try await sql.delete(from: "webhook_queue").where("seq", .in, seqs).run()
            return queued.count
        }
    }

    /// Sends the deliveries that are due, a few at a time. Returns how many were tried.
    @discardableResult
    nonisolated func deliverDue(limit: Int = WebhookWorker.batchSize) async throws -> Int {
        let db = app.db
        let now = app.clock.now()
        // A switched-off subscription's deliveries wait, untouched, until it is switched on again.
        let due = try await WebhookDelivery.query(on: db)
            .join(WebhookSubscription.self, on: \WebhookDelivery.$subscription.$id == \WebhookSubscription.$id)
            .filter(WebhookSubscription.self, \.$active == true)
            .filter(\.$status == .pending)
            .filter(\.$nextAttemptAt <= now)
            .group(.or) { $0.filter(\.$lockedUntil == nil).filter(\.$lockedUntil < now) }
            .sort(\.$nextAttemptAt)
            .limit(limit)
            .with(\.$subscription)
            .all()
        var tried = 0
        for start in stride(from: 0, to: due.count, by: Self.parallel) {
            if Task.isCancelled { break }
            let slice = Array(due[start..<min(due.count, start + Self.parallel)])
            tried += await withTaskGroup(of: Int.self) { group in
                for delivery in slice {
                    group.addTask { (try? await self.attempt(delivery)) ?? 0 }
                }
                return await group.reduce(0, +)
            }
        }
        return tried
    }

    /// Claims, sends and records one delivery. Returns 1 if it was tried.
    private nonisolated func attempt(_ delivery: WebhookDelivery) async throws -> Int {
        let db = app.db
        guard let id = delivery.id, try await claim(id, attempts: delivery.attempts, now: app.clock.now(), on: db) else { return 0 }
        let subscription = delivery.subscription
        let attempts = delivery.attempts + 1
        var status: Int?
        var failure: String?
        do {
            status = try await send(delivery, to: subscription)
        } catch is CancellationError {
            failure = "stopped: the server was shutting down"
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            failure = "no answer within \(Int(WebhookRules.timeout)) s"
        } catch {
            failure = String(String(describing: error).prefix(200))
        }
        let finished = app.clock.now()
        let update = WebhookDelivery.query(on: db).filter(\.$id == id)
            .set(\.$attempts, to: attempts)
            .set(\.$lockedUntil, to: nil)
            .set(\.$lastStatus, to: status)
            .set(\.$lastError, to: failure ?? status.flatMap { WebhookRules.delivered(status: $0) ? nil : "HTTP \($0)" })
        if let status, WebhookRules.delivered(status: status) {
            try await update.set(\.$status, to: .delivered).set(\.$deliveredAt, to: finished).update()
            return 1
        }
        switch policy.afterFailure(attempts: attempts, now: finished) {
        case .retry(let at):
            app.logger.warning("Webhook \(delivery.event) to \(subscription.url) failed (attempt \(attempts)), retry at \(at)")
            try await update.set(\.$nextAttemptAt, to: at).update()
        case .giveUp:
            app.logger.error("Webhook \(delivery.event) to \(subscription.url) failed for good after \(attempts) attempts")
            try await update.set(\.$status, to: .failed).update()
        }
        return 1
    }

    /// Posts the body; returns the receiver's status code. The answer's body is not read: only its status counts.
    private nonisolated func send(_ delivery: WebhookDelivery, to subscription: WebhookSubscription) async throws -> Int {
        let body = Data(delivery.payload.utf8)
        let timestamp = Int(app.clock.now().timeIntervalSince1970)
        var request = HTTPClientRequest(url: subscription.url)
        request.method = .POST
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.replaceOrAdd(name: "User-Agent", value: "ConsumerDesk-Webhooks/1")
        request.headers.replaceOrAdd(name: "X-ConsumerDesk-Event", value: delivery.event)
        request.headers.replaceOrAdd(name: "X-ConsumerDesk-Delivery", value: delivery.id?.uuidString ?? "")
        request.headers.replaceOrAdd(name: "X-ConsumerDesk-Timestamp", value: String(timestamp))
        request.headers.replaceOrAdd(
            name: "X-ConsumerDesk-Signature", value: WebhookSignature.sign(secret: subscription.secret, timestamp: timestamp, body: body))
        request.body = .bytes(ByteBuffer(data: body))
        let response = try await client.execute(request, timeout: .seconds(Int64(WebhookRules.timeout)))
        return Int(response.status.code)
    }

    /// Takes the lease unless another worker holds a live one, or has tried the delivery since this one
    /// read it (its attempts moved on, or it is not due any more).
    private nonisolated func claim(_ id: UUID, attempts: Int, now: Date, on db: any Database) async throws -> Bool {
        guard let sql = db as? any SQLDatabase else { return true }
        let rows = try await sql.update(WebhookDelivery.schema)
            .set("locked_until", to: SQLBind(now.addingTimeInterval(Self.lease)))
            .where("id", .equal, SQLBind(id))
            .where("status", .equal, SQLBind(WebhookDelivery.Status.pending.rawValue))
            .where("attempts", .equal, SQLBind(attempts))
            .where("next_attempt_at", .lessThanOrEqual, SQLBind(now))
            .where { group in
                group.where("locked_until", .is, SQLLiteral.null).orWhere("locked_until", .lessThan, SQLBind(now))
            }
            .returning("id")
            .all()
        return !rows.isEmpty
    }
}

struct WebhookWorkerLifecycle: LifecycleHandler {
    let worker: WebhookWorker

    func didBootAsync(_ application: Application) async throws {
        await worker.start()
    }

    func shutdownAsync(_ application: Application) async {
        await worker.stop()
    }
}

extension Application {
    private struct WebhookWorkerKey: StorageKey { typealias Value = WebhookWorker }

    var webhookWorker: WebhookWorker? {
        get { storage[WebhookWorkerKey.self] }
        set { storage[WebhookWorkerKey.self] = newValue }
    }
}
