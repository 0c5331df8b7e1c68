import Fluent
import Foundation
import NIOConcurrencyHelpers
import Testing
import Vapor

@testable import App
@testable import Domain

/// Records what it is asked to send, and fails the first `failures` times: stands in for the SMTP
/// server where a test checks the worker's bookkeeping (the real SMTP path is tested below).
final class RecordingTransport: MailTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var remainingFailures: Int
    private(set) var sent: [OutgoingMail] = []

    init(failures: Int = 0) { remainingFailures = failures }

    struct Refused: Error {}

    func send(_ mail: OutgoingMail) async throws {
        try lock.withLock {
            if remainingFailures > 0 {
                remainingFailures -= 1
                throw Refused()
            }
            sent.append(mail)
        }
    }
}

/// Runs a check while the worker is in the middle of a send.
struct ObservingTransport: MailTransport {
    let onSend: @Sendable (OutgoingMail) async throws -> Void

    func send(_ mail: OutgoingMail) async throws { try await onSend(mail) }
}

@Suite("Mail outbox", .serialized)
struct MailOutboxTests {
    func enqueue(_ app: Application, to recipient: String = "a@example.test") async throws {
        try await MailOutbox.enqueue(to: recipient, subject: "Тема", body: "Текст", on: app.db, now: app.clock.now())
    }

    @Test func deliversDueMessagesOnceAndMarksThemSent() async throws {
        try await withApp { app in
            try await enqueue(app)
            try await enqueue(app, to: "b@example.test")
            let transport = RecordingTransport()
            let worker = MailWorker(app: app, transport: transport, from: "ConsumerDesk <noreply@example.test>")
            #expect(try await worker.deliverDue() == 2)
            #expect(try await worker.deliverDue() == 0)
            #expect(transport.sent.map(\.to).sorted() == ["a@example.test", "b@example.test"])
            #expect(transport.sent.first?.subject == "Тема")
            let rows = try await OutboxMessage.query(on: app.db).all()
            #expect(rows.allSatisfy { $0.status == .sent && $0.attempts == 1 && $0.sentAt != nil })
        }
    }

    @Test func failedDeliveryIsRetriedWithBackoffThenGivenUp() async throws {
        try await withApp { app in
            try await enqueue(app)
            let start = Date()
            app.clock = AppClock { start }
            let transport = RecordingTransport(failures: 100)
            let worker = MailWorker(
                app: app, transport: transport, from: "x@example.test",
                policy: MailDeliveryPolicy(firstDelay: 30, maximumDelay: 3600, maximumAttempts: 3))
            #expect(try await worker.deliverDue() == 1, "tried once, rescheduled")
            var row = try #require(try await OutboxMessage.query(on: app.db).first())
            #expect(row.status == .pending)
            #expect(row.attempts == 1)
            #expect(abs(row.nextAttemptAt.timeIntervalSince(start) - 30) < 1)
            #expect(row.lastError != nil)
            #expect(try await worker.deliverDue() == 0, "not due yet")
            #expect(try await OutboxMessage.query(on: app.db).first()?.attempts == 1)

            app.clock = AppClock { start.addingTimeInterval(31) }
            _ = try await worker.deliverDue()
            app.clock = AppClock { start.addingTimeInterval(200) }
            _ = try await worker.deliverDue()
            row = try #require(try await OutboxMessage.query(on: app.db).first())
            #expect(row.attempts == 3)
            #expect(row.status == .failed)
        }
    }

    @Test func aLiveLeaseKeepsOtherWorkersOffAndAnExpiredOneDoesNot() async throws {
        try await withApp { app in
            try await enqueue(app)
            let now = Date()
            app.clock = AppClock { now }
            let row = try #require(try await OutboxMessage.query(on: app.db).first())
            row.lockedUntil = now.addingTimeInterval(60)  // another node is sending it
            try await row.update(on: app.db)
            let transport = RecordingTransport()
            let worker = MailWorker(app: app, transport: transport, from: "x@example.test")
            #expect(try await worker.deliverDue() == 0)
            app.clock = AppClock { now.addingTimeInterval(61) }  // that node died mid-send
            #expect(try await worker.deliverDue() == 1)
        }
    }

    @Test func theLeaseLastsAsLongAsConfigured() async throws {
        try await withApp { app in
            try await enqueue(app)
            let now = Date()
            app.clock = AppClock { now }
            let seen = NIOLockedValueBox<Date?>(nil)
            let transport = ObservingTransport { _ in
                seen.withLockedValue { $0 = nil }
                let row = try await OutboxMessage.query(on: app.db).first()
                seen.withLockedValue { $0 = row?.lockedUntil }
            }
            let worker = MailWorker(app: app, transport: transport, from: "x@example.test", lease: 5)
            #expect(try await worker.deliverDue() == 1)
            let lockedUntil = try #require(seen.withLockedValue { $0 })
            #expect(abs(lockedUntil.timeIntervalSince(now) - 5) < 0.01, "held for MAIL_LEASE_SECONDS while sending")
            #expect(try await OutboxMessage.query(on: app.db).first()?.lockedUntil == nil, "released once sent")
        }
    }

    @Test func registrationMailReachesARealSMTPServer() async throws {
        // Runs when the test command has started the SMTP sink (scripts/test sets SMTP_TEST_PORT and MAIL_DIR).
        let env = ProcessInfo.processInfo.environment
        guard let portText = env["SMTP_TEST_PORT"], let port = Int(portText), let mailDir = env["MAIL_DIR"] else {
            return
        }
        try await withApp { app in
            let address = "smtp-\(UUID().uuidString.prefix(8).lowercased())@example.test"
            let transport = SMTPTransport(
                settings: SMTPSettings(host: "127.0.0.1", port: port, security: .none), eventLoopGroup: app.eventLoopGroup)
            let worker = MailWorker(app: app, transport: transport, from: "ConsumerDesk <noreply@example.test>")
            try await MailOutbox.enqueue(
                to: address, subject: "Подтверждение регистрации", body: "Здравствуйте!\n.\nСсылка: http://x/y",
                on: app.db, now: Date())
            #expect(try await worker.deliverDue() == 1)
            let folder = URL(fileURLWithPath: mailDir).appendingPathComponent("new")
            var found: String?
            for _ in 0..<50 where found == nil {
                let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
                for file in files {
                    let text = (try? String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)) ?? ""
                    if text.contains(address) { found = text }
                }
                if found == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            let message = try #require(found, "the message reached the sink")
            #expect(message.contains("Subject: =?UTF-8?B?"))
        }
    }

    @Test func anAttachmentMakesAMultipartMessageWithBothPartsIntact() throws {
        let ics = "BEGIN:VCALENDAR\r\nSUMMARY:Семинар\r\nEND:VCALENDAR\r\n"
        let mail = OutgoingMail(
            from: "ConsumerDesk <noreply@example.test>", to: "a@example.test", subject: "Вы записаны", textBody: "Здравствуйте!\nДо встречи.",
            messageID: "1234-abcd@consumerdesk",
            attachment: MailAttachment(fileName: "event.ics", contentType: "text/calendar; method=PUBLISH", text: ics))
        let text = MIMEMessage.render(mail, date: Date(timeIntervalSince1970: 1_800_000_000))
        let boundary = "=_cd_1234abcdconsumerdesk"
        #expect(text.contains("Content-Type: multipart/mixed; boundary=\"\(boundary)\"\r\n"))
        let parts = text.components(separatedBy: "--\(boundary)")
        #expect(parts.count == 4 && parts[3] == "--\r\n", "two parts and the closing delimiter")
        func decoded(_ part: String) -> String? {
            let body = part.components(separatedBy: "\r\n\r\n")[1].replacingOccurrences(of: "\r\n", with: "")
            return Data(base64Encoded: body).flatMap { String(data: $0, encoding: .utf8) }
        }
        #expect(parts[1].contains("Content-Type: text/plain; charset=utf-8"))
        #expect(decoded(parts[1]) == "Здравствуйте!\r\nДо встречи.")
        #expect(parts[2].contains("Content-Type: text/calendar; method=PUBLISH; charset=utf-8; name=\"event.ics\""))
        #expect(parts[2].contains("Content-Disposition: attachment; filename=\"event.ics\""))
        #expect(decoded(parts[2]) == ics)
        #expect(!MIMEMessage.render(OutgoingMail(from: "a@b.test", to: "c@d.test", subject: "s", textBody: "t", messageID: "m@x"), date: Date()).contains("multipart"))
    }
}
