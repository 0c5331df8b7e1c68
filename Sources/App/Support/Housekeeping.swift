import Domain
import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Deletes rows that no longer mean anything: expired sessions, long-expired or revoked tokens,
/// stale confirmation links and sign-in failures outside every throttle window, unfinished sign-ins
/// through the provider, and old webhook deliveries. Keeps the tables that are read on every request small.
enum Housekeeping {
    static let keepExpiredTokens: TimeInterval = 30 * 24 * 3600
    /// The webhook log keeps a month of delivered events and a quarter of failed ones.
    static let keepDeliveredWebhooks: TimeInterval = 30 * 24 * 3600
    static let keepFailedWebhooks: TimeInterval = 90 * 24 * 3600
    /// Names and contacts of people signed up for an event are kept half a year after it (the attendees
    /// counted stay with the event).
    static let keepEventRegistrations: TimeInterval = 183 * 24 * 3600

    struct Report: Equatable {
        var sessions = 0
        var tokens = 0
        var confirmations = 0
        var failures = 0
        var webhookDeliveries = 0
        var signInAttempts = 0
        var eventRegistrations = 0
        var idempotencyKeys = 0
    }

    @discardableResult
    static func run(on db: any Database, now: Date) async throws -> Report {
        var report = Report()
        let horizon = now.addingTimeInterval(-keepExpiredTokens)
        report.sessions = try await SessionRow.query(on: db).filter(\.$expiresAt < now).count()
        try await SessionRow.query(on: db).filter(\.$expiresAt < now).delete()
        let oldTokens = APIToken.query(on: db).group(.or) { group in
            group.filter(\.$expiresAt < horizon).filter(\.$revokedAt < horizon)
        }
        report.tokens = try await oldTokens.count()
        try await APIToken.query(on: db).group(.or) { group in
            group.filter(\.$expiresAt < horizon).filter(\.$revokedAt < horizon)
        }.delete()
        report.confirmations = try await EmailConfirmation.query(on: db).filter(\.$expiresAt < horizon).count()
        try await EmailConfirmation.query(on: db).filter(\.$expiresAt < horizon).delete()
        let failureHorizon = now.addingTimeInterval(-24 * 3600)
        report.failures = try await SignInFailure.query(on: db).filter(\.$at < failureHorizon).count()
        try await SignInFailure.query(on: db).filter(\.$at < failureHorizon).delete()
        try await ClaimService.removeOld(on: db, now: now)
        let oldKeys = now.addingTimeInterval(-IdempotencyMiddleware.lifetime)
        report.idempotencyKeys = try await IdempotentRequest.query(on: db).filter(\.$createdAt < oldKeys).count()
        try await IdempotentRequest.query(on: db).filter(\.$createdAt < oldKeys).delete()
        let attempts = OIDCAttempt.query(on: db).filter(\.$createdAt < now.addingTimeInterval(-ExternalSignIn.attemptLifetime))
        report.signInAttempts = try await attempts.count()
        try await attempts.delete()
        try await ExternalSignUp.query(on: db)
            .filter(\.$createdAt < now.addingTimeInterval(-ExternalSignIn.attemptLifetime)).delete()
        let oldDeliveries = { (query: QueryBuilder<WebhookDelivery>) in
            query.group(.or) { group in
                group.group(.and) {
                    $0.filter(\.$status == .delivered).filter(\.$createdAt < now.addingTimeInterval(-keepDeliveredWebhooks))
                }
                .group(.and) {
                    $0.filter(\.$status == .failed).filter(\.$createdAt < now.addingTimeInterval(-keepFailedWebhooks))
                }
            }
        }
        report.webhookDeliveries = try await oldDeliveries(WebhookDelivery.query(on: db)).count()
        try await oldDeliveries(WebhookDelivery.query(on: db)).delete()
        if let sql = db as? any SQLDatabase {
            let horizon = now.addingTimeInterval(-keepEventRegistrations)
            report.eventRegistrations = try await sql.raw(
                "DELETE FROM event_registrations WHERE event_id IN (SELECT id FROM events WHERE ends_at < \(bind: horizon)) RETURNING id"
            ).all().count
        }
        return report
    }
}

/// Runs a piece of work every `interval` in the serving process until shutdown; a failed round is
/// logged and the next one runs as usual.
final class PeriodicLifecycle: LifecycleHandler, Sendable {
    private let name: String
    private let interval: Duration
    private let body: @Sendable (Application) async throws -> Void
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
    /// Run the work once more when the process stops (for work that holds data in memory).
    private let onShutdown: Bool

    init(_ name: String, every interval: Duration, onShutdown: Bool = false, body: @escaping @Sendable (Application) async throws -> Void) {
        self.name = name
        self.interval = interval
        self.onShutdown = onShutdown
        self.body = body
    }

    func didBootAsync(_ application: Application) async throws {
        let (name, interval, body) = (self.name, self.interval, self.body)
        let started = Task {
            while !Task.isCancelled {
                do {
                    try await body(application)
                } catch {
                    application.logger.error("\(name) failed: \(String(reflecting: error))")
                }
                try? await Task.sleep(for: interval)
            }
        }
        task.withLockedValue { $0 = started }
    }

    func shutdownAsync(_ application: Application) async {
        let running = task.withLockedValue { current in
            defer { current = nil }
            return current
        }
        running?.cancel()
        await running?.value
        if onShutdown {
            do {
                try await body(application)
            } catch {
                application.logger.error("\(name) failed at shutdown: \(String(reflecting: error))")
            }
        }
    }
}

extension PeriodicLifecycle {
    /// Housekeeping every ten minutes.
    static var housekeeping: PeriodicLifecycle {
        PeriodicLifecycle("Housekeeping", every: .seconds(600)) { application in
            let report = try await Housekeeping.run(on: application.db, now: application.clock.now())
            if report != Housekeeping.Report() { application.logger.info("Housekeeping removed \(report)") }
        }
    }
}
