import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// The citizen's 1–5 score from the answer email (product.md §4 «Answer and rating»): no sign-in, one
/// token per answer email (only its hash is stored), used once; the same score again is simply
/// confirmed. A score ≤ 2 puts the appeal in the curator's queue.
enum RatingService {
    enum Outcome: Equatable {
        case recorded(score: Int, number: String)
        case alreadyRated(score: Int, number: String)
    }

    /// A new token for the answer's email (in the caller's transaction).
    static func issue(for appeal: Appeal, answer: AppealAnswer, now: Date, on db: any Database) async throws -> String {
        let token = Secrets.randomToken()
        let row = RatingToken()
        row.$appeal.id = try appeal.requireID()
        row.$answer.id = try answer.requireID()
        row.tokenHash = Secrets.hash(token)
        row.createdAt = now
        try await row.create(on: db)
        return token
    }

    static func find(_ token: String, on db: any Database) async throws -> RatingToken {
        guard token.count >= 16, token.count <= 128,
            let row = try await RatingToken.query(on: db).filter(\.$tokenHash == Secrets.hash(token)).with(\.$appeal).first()
        else { throw AppError.notFound }
        return row
    }

    static func rate(token: String, score: Int?, on request: Request) async throws -> Outcome {
        // The link first: without a valid one nothing else is answered.
        let row = try await find(token, on: request.db)
        guard let score, (1...5).contains(score) else { throw ValidationFailure([FieldError("score", .outOfRange)]) }
        let appeal = row.appeal
        if let used = row.score {
            guard used == score else { throw AppError.conflict("The answer was already rated \(used); a link records one score") }
            return .alreadyRated(score: used, number: appeal.number)
        }
        guard row.usedAt == nil else { throw Expired() }
        try Lifecycle.check(.rate, from: appeal.status, roles: [.citizen])
        let now = request.now
        let before = ProcessingService.Snapshot(appeal)
        do {
            try await record(row, appeal: appeal, score: score, before: before, now: now, on: request.db)
        } catch is Raced {
            // A double click or a second tab: the same score is simply confirmed.
            let again = try await find(token, on: request.db)
            guard let used = again.score else { throw Expired() }
            guard used == score else { throw AppError.conflict("The answer was already rated \(used); a link records one score") }
            return .alreadyRated(score: used, number: appeal.number)
        }
        return .recorded(score: score, number: appeal.number)
    }

    private static func record(_ row: RatingToken, appeal: Appeal, score: Int, before: ProcessingService.Snapshot, now: Date, on db: any Database)
        async throws
    {
        try await db.transaction { db in
            guard let sql = db as? any SQLDatabase else { throw AppError.badRequest("SQL database required") }
            // The token and the appeal are each claimed by one conditional statement: a double click or
            // two tabs record one score.
            let claimed = try await sql.raw(
                "UPDATE rating_tokens SET used_at = \(bind: now), score = \(bind: score) WHERE id = \(bind: row.requireID()) AND used_at IS NULL RETURNING id"
            ).all()
            guard claimed.count == 1 else { throw Raced() }
            let moved = try await sql.raw(
                """
                UPDATE appeals SET status = \(bind: AppealStatus.closed.rawValue), rating = \(bind: score), rated_at = \(bind: now),
                curator_attention = \(bind: score <= ProcessingTerms.lowRating), lock_version = lock_version + 1
                WHERE id = \(bind: appeal.requireID()) AND status = \(bind: AppealStatus.answered.rawValue) RETURNING id
                """
            ).all()
            guard moved.count == 1 else { throw LifecycleRefusal.wrongState(.rate, appeal.status) }
            try await AppealEvent(
                appealID: appeal.requireID(), at: now, actorID: appeal.userID, action: .rated, from: before.status, to: .closed,
                details: "{\"score\":\"\(score)\"}"
            ).create(on: db)
        }
    }

    /// The link belongs to an earlier answer (the appeal was answered again since).
    struct Expired: Error {}
    private struct Raced: Error {}

    /// The optional comment after the score: once, on a used token.
    static func comment(token: String, text: String?, on request: Request) async throws -> String {
        let row = try await find(token, on: request.db)
        guard row.score != nil else { throw AppError.conflict("Rate the answer first") }
        guard row.comment == nil else { throw AppError.conflict("The comment was already sent") }
        guard let text = text?.nonBlank else { throw ValidationFailure([FieldError("comment", .required)]) }
        guard text.count <= ProcessingService.maxComment else { throw ValidationFailure([FieldError("comment", .tooLong)]) }
        let now = request.now
        try await request.db.transaction { db in
            guard let sql = db as? any SQLDatabase else { throw AppError.badRequest("SQL database required") }
            let claimed = try await sql.raw(
                "UPDATE rating_tokens SET comment = \(bind: text) WHERE id = \(bind: row.requireID()) AND comment IS NULL RETURNING id"
            ).all()
            guard claimed.count == 1 else { throw AppError.conflict("The comment was already sent") }
            try await AppealEvent(
                appealID: row.appeal.requireID(), at: now, actorID: row.appeal.userID, action: .ratingCommented, from: nil, to: nil,
                comment: text
            ).create(on: db)
        }
        return row.appeal.number
    }
}
