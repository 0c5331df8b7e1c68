import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// A message waiting in the outbox (see M0008).
final class OutboxMessage: Model, @unchecked Sendable {
    static let schema = "mail_outbox"

    enum Status: String, Codable, Sendable {
        case pending, sent, failed
    }

    @ID(key: .id) var id: UUID?
    @Field(key: "recipient") var recipient: String
    @Field(key: "subject") var subject: String
    @Field(key: "body_text") var bodyText: String
    @Field(key: "message_id") var messageID: String
    @Field(key: "status") var status: Status
    @Field(key: "attempts") var attempts: Int
    @Field(key: "next_attempt_at") var nextAttemptAt: Date
    @OptionalField(key: "locked_until") var lockedUntil: Date?
    @OptionalField(key: "last_error") var lastError: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @OptionalField(key: "sent_at") var sentAt: Date?
    @OptionalField(key: "attachment_name") var attachmentName: String?
    @OptionalField(key: "attachment_type") var attachmentType: String?
    @OptionalField(key: "attachment_body") var attachmentBody: String?

    init() {}

    var attachment: MailAttachment? {
        guard let attachmentName, let attachmentType, let attachmentBody else { return nil }
        return MailAttachment(fileName: attachmentName, contentType: attachmentType, text: attachmentBody)
    }
}

/// The one way to send mail: write it to the outbox inside the caller's transaction. The worker
/// delivers it after the commit; if the transaction rolls back, the mail never existed.
enum MailOutbox {
    static func enqueue(
        to recipient: String, subject: String, body: String, attachment: MailAttachment? = nil, on db: any Database,
        now: Date
    ) async throws {
        try await message(to: recipient, subject: subject, body: body, attachment: attachment, now: now).create(on: db)
    }

    /// A message ready to be written (with others, in one statement) inside the caller's transaction.
    static func message(
        to recipient: String, subject: String, body: String, attachment: MailAttachment? = nil, now: Date
    ) -> OutboxMessage {
        let message = OutboxMessage()
        message.attachmentName = attachment?.fileName
        message.attachmentType = attachment?.contentType
        message.attachmentBody = attachment?.text
        let id = UUID()
        message.id = id
        message.recipient = recipient
        message.subject = subject
        message.bodyText = body
        message.messageID = "\(id.uuidString.lowercased())@consumerdesk"
        message.status = .pending
        message.attempts = 0
        message.nextAttemptAt = now
        return message
    }
}

/// Delivers due outbox messages. Each message is claimed with a conditional update (a lease), so
/// several nodes can run workers on one PostgreSQL without sending a message twice while the lease
/// holds; a node killed mid-send leaves a lease that expires, and the message is tried again.
actor MailWorker {
    private let app: Application
    private let transport: any MailTransport
    private let policy: MailDeliveryPolicy
    private let from: String
    private var task: Task<Void, Never>?
    private var timer: Task<Void, Never>?
    private var sleeper: CheckedContinuation<Void, Never>?
    private var wakePending = false

    /// Longer than the worst SMTP conversation (every step hitting its 30 s timeout), so a live
    /// send never loses its claim to another node (`AppConfig.mailLease`).
    private let lease: TimeInterval
    static let batchSize = 50
    static let pollInterval: Duration = .seconds(5)

    init(
        app: Application, transport: any MailTransport, from: String, policy: MailDeliveryPolicy = .init(),
        lease: TimeInterval = 15 * 60
    ) {
        self.app = app
        self.lease = lease
        self.transport = transport
        self.from = from
        self.policy = policy
    }

    func start() {
        guard task == nil else { return }
        task = Task { await self.run() }
    }

    func stop() async {
        task?.cancel()
        resumeSleeper()
        await task?.value
        task = nil
    }

    /// Called after a commit that enqueued mail, so delivery does not wait for the next poll.
    nonisolated func wake() {
        Task { await self.signal() }
    }

    private func signal() {
        if sleeper != nil { resumeSleeper() } else { wakePending = true }
    }

    private func resumeSleeper() {
        timer?.cancel()
        timer = nil
        let continuation = sleeper
        sleeper = nil
        continuation?.resume()
    }

    /// Sleeps until woken or the poll interval passes. A stray timer firing into a later sleep only
    /// causes one extra (cheap) pass.
    private func sleep() async {
        if wakePending {
            wakePending = false
            return
        }
        await withCheckedContinuation { continuation in
            sleeper = continuation
            timer = Task {
                try? await Task.sleep(for: MailWorker.pollInterval)
                if !Task.isCancelled { self.resumeSleeper() }
            }
        }
    }

    private func run() async {
        while !Task.isCancelled {
            var handled = 0
            do {
                handled = try await deliverDue()
            } catch {
                app.logger.error("Mail outbox pass failed: \(String(reflecting: error))")
            }
            if Task.isCancelled { break }
            // A full batch means more may be waiting: go on at once.
            if handled < Self.batchSize { await sleep() }
        }
    }

    /// One pass: claims and tries every message that is due and not leased by another worker.
    /// Returns how many were tried (sent or rescheduled).
    @discardableResult
    func deliverDue(limit: Int = MailWorker.batchSize) async throws -> Int {
        let db = app.db
        let now = app.clock.now()
        let due = try await OutboxMessage.query(on: db)
            .filter(\.$status == .pending)
            .filter(\.$nextAttemptAt <= now)
            .group(.or) { $0.filter(\.$lockedUntil == nil).filter(\.$lockedUntil < now) }
            .sort(\.$nextAttemptAt)
            .limit(limit)
            .all()
        var tried = 0
        for message in due {
            // Each claim reads the clock afresh: a batch can take a while.
            guard let id = message.id, try await claim(id, now: app.clock.now(), on: db) else { continue }
            tried += 1
            let mail = OutgoingMail(
                from: from, to: message.recipient, subject: message.subject, textBody: message.bodyText,
                messageID: message.messageID, attachment: message.attachment)
            do {
                try await transport.send(mail)
                try await OutboxMessage.query(on: db)
                    .filter(\.$id == id)
                    .set(\.$status, to: .sent)
                    .set(\.$sentAt, to: app.clock.now())
                    .set(\.$attempts, to: message.attempts + 1)
                    .set(\.$lockedUntil, to: nil)
                    .update()
            } catch {
                let attempts = message.attempts + 1
                let update = OutboxMessage.query(on: db)
                    .filter(\.$id == id)
                    .set(\.$attempts, to: attempts)
                    .set(\.$lastError, to: String(String(describing: error).prefix(500)))
                    .set(\.$lockedUntil, to: nil)
                switch policy.afterFailure(attempts: attempts, now: app.clock.now()) {
                case .retry(let at):
                    app.logger.warning("Mail to \(message.recipient) failed (attempt \(attempts)), retry at \(at): \(error)")
                    try await update.set(\.$nextAttemptAt, to: at).update()
                case .giveUp:
                    app.logger.error("Mail to \(message.recipient) failed for good after \(attempts) attempts: \(error)")
                    try await update.set(\.$status, to: .failed).update()
                }
            }
        }
        return tried
    }

    /// Takes the lease on a message unless another worker holds a live one.
    private func claim(_ id: UUID, now: Date, on db: any Database) async throws -> Bool {
        guard let sql = db as? any SQLDatabase else { return true }
        let leaseEnd = now.addingTimeInterval(lease)
        let rows = try await sql.update(OutboxMessage.schema)
            .set("locked_until", to: SQLBind(leaseEnd))
            .where("id", .equal, SQLBind(id))
            .where("status", .equal, SQLBind(OutboxMessage.Status.pending.rawValue))
            .where { group in
                group.where("locked_until", .is, SQLLiteral.null)
                    .orWhere("locked_until", .lessThan, SQLBind(now))
            }
            .returning("id")
            .all()
        return !rows.isEmpty
    }
}

/// Demo mode without SMTP: the message goes to the log instead.
struct LogMailTransport: MailTransport {
    let logger: Logger

    func send(_ mail: OutgoingMail) async throws {
        logger.notice("Mail (no SMTP configured) to \(mail.to): \(mail.subject)\n\(mail.textBody)")
    }
}

extension Application {
    private struct MailWorkerKey: StorageKey { typealias Value = MailWorker }

    var mailWorker: MailWorker? {
        get { storage[MailWorkerKey.self] }
        set { storage[MailWorkerKey.self] = newValue }
    }
}
