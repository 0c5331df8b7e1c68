import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// Reading and writing the knowledge base and the FAQ: every save keeps a revision, counts and votes
/// are single-statement increments (no read-modify-write under load), and the search index follows
/// each change in the same transaction.
enum KnowledgeBaseService {
    static let articleKind = "article"
    static let faqKind = "faq"

    // MARK: Audience

    static func audience(of request: Request) async -> ContentAudience {
        guard request.currentUser != nil, let actor = try? await request.requireActor(),
            let tree = try? await OrganisationQueries.tree(on: request.db)
        else { return .visitor }
        if Policy.permitsAnywhere(actor, .editContent, tree: tree) { return .editor }
        if Policy.permitsAnywhere(actor, .readInternalContent, tree: tree) { return .staff }
        return .visitor
    }

    /// Only what the audience may read: drafts for editors, internal articles for staff.
    static func visible(_ query: QueryBuilder<Article>, to audience: ContentAudience) -> QueryBuilder<Article> {
        switch audience {
        case .editor: query
        case .staff: query.filter(\.$status == ArticleStatus.published.rawValue)
        case .visitor:
            query.filter(\.$status == ArticleStatus.published.rawValue).filter(\.$visibility == ArticleVisibility.public.rawValue)
        }
    }

    // MARK: Articles

    struct ArticleFilter {
        var sphere: SphereCode?
        var kind: ArticleKind?
        var tag: String?
    }

    static func articles(_ filter: ArticleFilter, audience: ContentAudience, limit: Int = 200, on db: any Database) async throws -> [Article] {
        var query = visible(Article.query(on: db), to: audience)
        if let sphere = filter.sphere { query = query.filter(\.$sphere == sphere.rawValue) }
        if let kind = filter.kind { query = query.filter(\.$kind == kind.rawValue) }
        if let tag = filter.tag?.lowercased(), !tag.isEmpty {
            query = query.filter(\.$tagsField, .custom("LIKE"), "%," + tag.replacingOccurrences(of: "%", with: "") + ",%")
        }
        // Lists show titles and summaries: bodies (up to 200 KB each) stay in the database.
        return try await query.field(\.$id).field(\.$slug).field(\.$sphere).field(\.$kind).field(\.$title).field(\.$summary)
            .field(\.$tagsField).field(\.$status).field(\.$visibility).field(\.$revision).field(\.$views).field(\.$authorID)
            .field(\.$createdAt).field(\.$updatedAt).field(\.$publishedAt)
            .sort(\.$publishedAt, .descending).sort(\.$title).limit(limit).all()
    }

    /// Published articles per sphere and kind, for the home page and the sphere pages.
    static func counts(audience: ContentAudience, on db: any Database) async throws -> [String: [String: Int]] {
        let rows = try await visible(Article.query(on: db), to: audience).field(\.$sphere).field(\.$kind).all()
        var result: [String: [String: Int]] = [:]
        for row in rows { result[row.sphere, default: [:]][row.kind, default: 0] += 1 }
        return result
    }

    static func article(slug: String, audience: ContentAudience, on db: any Database) async throws -> Article? {
        try await visible(Article.query(on: db), to: audience).filter(\.$slug == slug).first()
    }

    static func countView(of article: Article, on request: Request) throws {
        request.application.viewCounter.count(.article, try article.requireID())
    }

    /// Creates (`id == nil`) or changes an article; the new state becomes the next revision.
    @discardableResult
    static func save(
        articleID: UUID?, _ checked: CheckedArticle, author: UUID?, note: String? = nil, expectedRevision: Int? = nil,
        terms: String? = nil, now: Date, on db: any Database
    ) async throws -> Article {
        do {
            return try await write(
                articleID: articleID, checked, author: author, note: note, expectedRevision: expectedRevision, terms: terms, now: now, on: db)
        } catch where error.isUniqueViolation {
            // Another save won a race the checks could not see: the address was just taken, or someone
            // saved this article first (the revision number is unique per article).
            if try await Article.query(on: db).filter(\.$slug == checked.slug).filter(\.$id != articleID ?? UUID()).count() > 0 {
                throw ValidationFailure([FieldError("slug", .taken)])
            }
            throw ValidationFailure([FieldError("revision", .staleVersion)])
        }
    }

    private static func write(
        articleID: UUID?, _ checked: CheckedArticle, author: UUID?, note: String?, expectedRevision: Int?,
        terms: String?, now: Date, on db: any Database
    ) async throws -> Article {
        try await db.transaction { db in
            let article: Article
            if let articleID {
                guard let found = try await Article.find(articleID, on: db) else { throw AppError.notFound }
                if let expectedRevision, expectedRevision != found.revision {
                    throw ValidationFailure([FieldError("revision", .staleVersion)])
                }
                article = found
                article.revision += 1
            } else {
                article = Article()
                article.revision = 1
                article.views = 0
                article.createdAt = now
            }
            if try await Article.query(on: db).filter(\.$slug == checked.slug).filter(\.$id != articleID ?? UUID()).count() > 0 {
                throw ValidationFailure([FieldError("slug", .taken)])
            }
            article.apply(checked)
            article.authorID = author
            article.updatedAt = now
            // The date readers see is the first publication; later edits keep it.
            if checked.status == .published, article.publishedAt == nil { article.publishedAt = now }
            try await article.save(on: db)
            try await ArticleRevision(of: article, note: note).create(on: db)
            try await index(article, terms: terms, now: now, on: db)
            return article
        }
    }

    static func revisions(of articleID: UUID, on db: any Database) async throws -> [ArticleRevision] {
        try await ArticleRevision.query(on: db).filter(\.$article.$id == articleID).sort(\.$revision, .descending).all()
    }

    static func revision(_ number: Int, of articleID: UUID, on db: any Database) async throws -> ArticleRevision? {
        try await ArticleRevision.query(on: db).filter(\.$article.$id == articleID).filter(\.$revision == number).first()
    }

    /// Restoring is a new revision with the old content: history only grows. Whether the article is
    /// published and to whom stays as it is now: bringing back old words must not publish a draft or show
    /// the public what was since made internal.
    static func restore(_ number: Int, of articleID: UUID, author: UUID?, now: Date, on db: any Database) async throws -> Article {
        guard let old = try await revision(number, of: articleID, on: db),
            let current = try await Article.find(articleID, on: db)
        else { throw AppError.notFound }
        var draft = old.draft
        draft.status = current.status
        draft.visibility = current.visibility
        let checked = try ArticleRules.check(draft)
        return try await save(articleID: articleID, checked, author: author, note: "Восстановлена версия \(number)", now: now, on: db)
    }

    /// What search reads of an article: the title, and the summary, tags and text without markup.
    static func searchBody(summary: String, tags: [String], markdown: String) -> String {
        [summary, tags.joined(separator: ", "), Markdown.plainText(markdown)].joined(separator: "\n")
    }

    static func searchBody(answer: String, references: [String]) -> String {
        ([Markdown.plainText(answer)] + references).joined(separator: "\n")
    }

    /// Only published public articles are in the portal's search.
    static func index(_ article: Article, terms: String? = nil, now: Date, on db: any Database) async throws {
        let ref = try article.requireID().uuidString
        if article.articleStatus == .published, article.articleVisibility == .public {
            let body = searchBody(summary: article.summary, tags: article.tags, markdown: article.body)
            try await SearchIndex.upsert(kind: articleKind, ref: ref, title: article.title, body: body, url: article.url, terms: terms, now: now, on: db)
        } else {
            try await SearchIndex.remove(kind: articleKind, ref: ref, on: db)
        }
    }

    // MARK: FAQ

    /// Helpful answers first (`FAQOrder`: helpful − unhelpful), then the most read.
    static func faq(sphere: SphereCode?, includeDrafts: Bool, limit: Int? = nil, on db: any Database) async throws -> [FAQEntry] {
        var query = FAQEntry.query(on: db)
        if !includeDrafts { query = query.filter(\.$status == ArticleStatus.published.rawValue) }
        if let sphere { query = query.filter(\.$sphere == sphere.rawValue) }
        query = query.sort(.sql(unsafeRaw: "helpful - unhelpful"), .descending).sort(\.$views, .descending).sort(\.$question)
        if let limit { query = query.limit(limit) }
        return try await query.all()
    }

    static func faqEntry(slug: String, includeDrafts: Bool, on db: any Database) async throws -> FAQEntry? {
        var query = FAQEntry.query(on: db).filter(\.$slug == slug)
        if !includeDrafts { query = query.filter(\.$status == ArticleStatus.published.rawValue) }
        return try await query.first()
    }

    static func countView(of entry: FAQEntry, on request: Request) throws {
        request.application.viewCounter.count(.faq, try entry.requireID())
    }

    enum VoteResult: String, Content, CaseIterable {
        case counted
        case changed
        case unchanged
    }

    /// One vote per voter and entry; voting again the other way moves the vote. Each step is one
    /// statement that says whether it changed a row, so two clicks at once cannot both count.
    static func vote(_ entry: FAQEntry, voter: String, helpful: Bool, now: Date, on db: any Database) async throws -> VoteResult {
        let entryID = try entry.requireID()
        return try await db.transaction { db in
            let sql = db as! any SQLDatabase
            let up = helpful ? "helpful" : "unhelpful"
            let down = helpful ? "unhelpful" : "helpful"
            let moved = try await sql.raw("""
                UPDATE faq_votes SET helpful = \(bind: helpful), created_at = \(bind: now)
                WHERE faq_id = \(bind: entryID) AND voter = \(bind: voter) AND helpful <> \(bind: helpful) RETURNING id
                """).all()
            if !moved.isEmpty {
                try await sql.raw("UPDATE faq_entries SET \(unsafeRaw: up) = \(unsafeRaw: up) + 1, \(unsafeRaw: down) = \(unsafeRaw: down) - 1 WHERE id = \(bind: entryID)").run()
                return .changed
            }
            let added = try await sql.raw("""
                INSERT INTO faq_votes (id, faq_id, voter, helpful, created_at)
                VALUES (\(bind: UUID()), \(bind: entryID), \(bind: voter), \(bind: helpful), \(bind: now))
                ON CONFLICT (faq_id, voter) DO NOTHING RETURNING id
                """).all()
            guard !added.isEmpty else { return .unchanged }
            try await sql.raw("UPDATE faq_entries SET \(unsafeRaw: up) = \(unsafeRaw: up) + 1 WHERE id = \(bind: entryID)").run()
            return .counted
        }
    }

    @discardableResult
    static func saveFAQ(entryID: UUID?, _ checked: CheckedFAQ, author: UUID?, terms: String? = nil, now: Date, on db: any Database)
        async throws -> FAQEntry
    {
        try await db.transaction { db in
            let entry: FAQEntry
            if let entryID {
                guard let found = try await FAQEntry.find(entryID, on: db) else { throw AppError.notFound }
                entry = found
            } else {
                entry = FAQEntry()
                entry.views = 0
                entry.helpful = 0
                entry.unhelpful = 0
                entry.createdAt = now
            }
            if try await FAQEntry.query(on: db).filter(\.$slug == checked.slug).filter(\.$id != entryID ?? UUID()).count() > 0 {
                throw ValidationFailure([FieldError("slug", .taken)])
            }
            entry.apply(checked)
            entry.authorID = author
            entry.updatedAt = now
            try await entry.save(on: db)
            try await index(entry, terms: terms, now: now, on: db)
            return entry
        }
    }

    static func index(_ entry: FAQEntry, terms: String? = nil, now: Date, on db: any Database) async throws {
        let ref = try entry.requireID().uuidString
        if entry.status == ArticleStatus.published.rawValue {
            let body = searchBody(answer: entry.answer, references: entry.references)
            try await SearchIndex.upsert(kind: faqKind, ref: ref, title: entry.question, body: body, url: entry.url, terms: terms, now: now, on: db)
        } else {
            try await SearchIndex.remove(kind: faqKind, ref: ref, on: db)
        }
    }
}
