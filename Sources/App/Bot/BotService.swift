import Domain
import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// «Виртуальный помощник по ЗПП»: answers free-text questions from the FAQ (`BotMatcher`), and keeps
/// every question it could not answer for a specialist, who links it to an entry — from then on the bot
/// answers it and its rephrasings.
enum BotService {
    /// The matcher over the published FAQ, its taught phrasings and synonyms; rebuilt after a change on
    /// this node, and at least every minute (another node may have taught it).
    final class Cache: Sendable {
        private let state = NIOLockedValueBox<(matcher: BotMatcher, built: Date)?>(nil)

        func matcher(on db: any Database, now: Date) async throws -> BotMatcher {
            if let cached = state.withLockedValue({ $0 }), now.timeIntervalSince(cached.built) < 60 { return cached.matcher }
            let matcher = try await BotService.build(on: db)
            state.withLockedValue { $0 = (matcher, now) }
            return matcher
        }

        func invalidate() { state.withLockedValue { $0 = nil } }
    }

    static func build(on db: any Database) async throws -> BotMatcher {
        let entries = try await FAQEntry.query(on: db).filter(\.$status == ArticleStatus.published.rawValue)
            .field(\.$id).field(\.$question).all()
        guard let sql = db as? any SQLDatabase else { return BotMatcher(entries: []) }
        var phrasings: [UUID: [String]] = [:]
        for row in try await sql.select().columns("faq_id", "text").from("bot_phrasings").all() {
            phrasings[try row.decode(column: "faq_id", as: UUID.self), default: []].append(try row.decode(column: "text", as: String.self))
        }
        let groups = try await sql.select().column("words").from("bot_synonyms").all().map {
            try $0.decode(column: "words", as: String.self).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return BotMatcher(
            entries: try entries.map { BotMatcher.Entry(id: try $0.requireID().uuidString, question: $0.question, phrasings: phrasings[try $0.requireID()] ?? []) },
            synonymGroups: groups)
    }

    struct Source: Content {
        var title: String
        var url: String
    }

    struct Reply: Content {
        /// `answer` (from the FAQ) or `unsure`.
        var kind: String
        var text: String
        /// The answer's text as HTML (escaped Markdown), for `answer`.
        var html: String?
        var confidence: Double?
        /// Where the answer comes from: the FAQ entry, cited.
        var source: Source?
        /// For `unsure`: the closest entries, to offer «может быть, вы имели в виду».
        var suggestions: [Source]
        /// What else the person can do: ask an operator, leave an appeal.
        var appealUrl: String
    }

    static func ask(_ raw: String, on request: Request) async throws -> Reply {
        try await ask(raw, app: request.application, db: request.db, now: request.now)
    }

    /// The same answer for a request and for a chat connection (which has no request).
    static func ask(_ raw: String, app: Application, db: any Database, now: Date) async throws -> Reply {
        let question = try ChatRules.message(raw)
        let matcher = try await app.botCache.matcher(on: db, now: now)
        switch matcher.answer(question) {
        case .sure(let match):
            guard let id = UUID(uuidString: match.entryID), let entry = try await FAQEntry.find(id, on: db) else {
                throw AppError.notFound
            }
            return Reply(
                kind: "answer", text: Markdown.plainText(entry.answer),
                html: RenderedMarkdown.html(entry.answer, key: "faq:\(id.uuidString):\(entry.updatedAt.timeIntervalSince1970)"),
                confidence: match.confidence, source: Source(title: entry.question, url: entry.url), suggestions: [], appealUrl: "/appeals/new")
        case .unsure(let guesses):
            let ids = guesses.compactMap { UUID(uuidString: $0.entryID) }
            let entries = ids.isEmpty ? [] : try await FAQEntry.query(on: db).filter(\.$id ~~ ids).all()
            let byID = Dictionary(entries.compactMap { e in e.id.map { ($0, e) } }, uniquingKeysWith: { a, _ in a })
            if let sql = db as? any SQLDatabase {
                try await sql.insert(into: "bot_unanswered").columns("id", "question", "guess_faq_id", "asked_at", "state")
                    .values(SQLBind(UUID()), SQLBind(question), SQLBind(ids.first), SQLBind(now), SQLBind("open")).run()
            }
            return Reply(
                kind: "unsure",
                text: "Я не уверен, что правильно понял вопрос. Передам его специалистам, чтобы научиться отвечать. Вы можете задать вопрос оператору или подать обращение.",
                html: nil, confidence: guesses.first?.confidence, source: nil,
                suggestions: ids.compactMap { byID[$0] }.map { Source(title: $0.question, url: $0.url) }, appealUrl: "/appeals/new")
        }
    }

    struct QueueItem: Content {
        var id: UUID
        var question: String
        var askedAt: Date
        var guess: Source?
    }

    static func queue(limit: Int = 100, on db: any Database) async throws -> [QueueItem] {
        guard let sql = db as? any SQLDatabase else { return [] }
        let rows = try await sql.select().columns("id", "question", "asked_at", "guess_faq_id").from("bot_unanswered")
            .where("state", .equal, "open").orderBy("asked_at", .descending).limit(limit).all()
        let guessIDs = try rows.compactMap { try $0.decode(column: "guess_faq_id", as: UUID?.self) }
        let guesses = guessIDs.isEmpty ? [] : try await FAQEntry.query(on: db).filter(\.$id ~~ guessIDs).all()
        let byID = Dictionary(guesses.compactMap { e in e.id.map { ($0, e) } }, uniquingKeysWith: { a, _ in a })
        return try rows.map { row in
            let guess = try row.decode(column: "guess_faq_id", as: UUID?.self).flatMap { byID[$0] }
            return QueueItem(
                id: try row.decode(column: "id", as: UUID.self), question: try row.decode(column: "question", as: String.self),
                askedAt: try row.decode(column: "asked_at", as: Date.self), guess: guess.map { Source(title: $0.question, url: $0.url) })
        }
    }

    /// Links an unanswered question to an FAQ entry: the question becomes a phrasing the bot knows.
    static func teach(_ id: UUID, faqSlug: String, by user: UUID, on request: Request) async throws {
        guard let entry = try await KnowledgeBaseService.faqEntry(slug: faqSlug, includeDrafts: false, on: request.db) else {
            throw ValidationFailure([FieldError("faq", .notFound)])
        }
        let entryID = try entry.requireID()
        let now = request.now
        try await request.db.transaction { db in
            let sql = db as! any SQLDatabase
            let claimed = try await sql.raw("""
                UPDATE bot_unanswered SET state = 'taught', faq_id = \(bind: entryID), resolved_by = \(bind: user), resolved_at = \(bind: now)
                WHERE id = \(bind: id) AND state = 'open' RETURNING question
                """).first()
            guard let question = try claimed?.decode(column: "question", as: String.self) else { throw AppError.notFound }
            try await sql.insert(into: "bot_phrasings").columns("id", "faq_id", "text", "author_id", "created_at")
                .values(SQLBind(UUID()), SQLBind(entryID), SQLBind(question), SQLBind(user), SQLBind(now)).run()
        }
        request.application.botCache.invalidate()
    }

    static func dismiss(_ id: UUID, by user: UUID, on request: Request) async throws {
        guard let sql = request.db as? any SQLDatabase else { return }
        let done = try await sql.raw("""
            UPDATE bot_unanswered SET state = 'dismissed', resolved_by = \(bind: user), resolved_at = \(bind: request.now)
            WHERE id = \(bind: id) AND state = 'open' RETURNING id
            """).all()
        if done.isEmpty { throw AppError.notFound }
    }
}

extension Application {
    private struct BotCacheKey: StorageKey { typealias Value = BotService.Cache }

    /// Set up once in `configure`, before any request can arrive (storage is not for concurrent first use).
    var botCache: BotService.Cache {
        get { configured(BotCacheKey.self) }
        set { storage[BotCacheKey.self] = newValue }
    }
}
