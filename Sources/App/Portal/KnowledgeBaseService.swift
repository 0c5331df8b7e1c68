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
        guard request.currentUser != nil, let actor = try? await request.requireActor() else { return .visitor }
        let tree = OrganisationTree(parents: [])
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
        return try await query.sort(\.$publishedAt, .descending).sort(\.$title).limit(limit).all()
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

    static func countView(of article: Article, on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.update(Article.schema).set(SQLIdentifier("views"), to: SQLRaw("views + 1"))
            .where("id", .equal, try article.requireID()).run()
    }

    /// Creates (`id == nil`) or changes an article; the new state becomes the next revision.
    @discardableResult
    static func save(
        articleID: UUID?, _ checked: CheckedArticle, author: UUID?, note: String? = nil, expectedRevision: Int? = nil,
        terms: String? = nil, now: Date, on db: any Database
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

    /// Restoring is a new revision with the old content: history only grows.
    static func restore(_ number: Int, of articleID: UUID, author: UUID?, now: Date, on db: any Database) async throws -> Article {
        guard let old = try await revision(number, of: articleID, on: db) else { throw AppError.notFound }
        let checked = try ArticleRules.check(old.draft)
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

    /// Helpful answers first, then the most read (`FAQOrder`).
    static func faq(sphere: SphereCode?, includeDrafts: Bool, on db: any Database) async throws -> [FAQEntry] {
        var query = FAQEntry.query(on: db)
        if !includeDrafts { query = query.filter(\.$status == ArticleStatus.published.rawValue) }
        if let sphere { query = query.filter(\.$sphere == sphere.rawValue) }
        return try await query.all().sorted {
            let left = FAQOrder.score(helpful: $0.helpful, unhelpful: $0.unhelpful)
            let right = FAQOrder.score(helpful: $1.helpful, unhelpful: $1.unhelpful)
            if left != right { return left > right }
            if $0.views != $1.views { return $0.views > $1.views }
            return $0.question < $1.question
        }
    }

    static func faqEntry(slug: String, includeDrafts: Bool, on db: any Database) async throws -> FAQEntry? {
        var query = FAQEntry.query(on: db).filter(\.$slug == slug)
        if !includeDrafts { query = query.filter(\.$status == ArticleStatus.published.rawValue) }
        return try await query.first()
    }

    static func countView(of entry: FAQEntry, on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.update(FAQEntry.schema).set(SQLIdentifier("views"), to: SQLRaw("views + 1"))
            .where("id", .equal, try entry.requireID()).run()
    }

    enum VoteResult: String, Content {
        case counted
        case changed
        case unchanged
    }

    /// One vote per visitor and entry; voting again the other way moves the vote.
    static func vote(_ entry: FAQEntry, voter: String, helpful: Bool, now: Date, on db: any Database) async throws -> VoteResult {
        let entryID = try entry.requireID()
        return try await db.transaction { db in
            let sql = db as! any SQLDatabase
            let existing = try await sql.select().column("helpful").from("faq_votes").where("faq_id", .equal, entryID)
                .where("voter", .equal, voter).first()?.decode(column: "helpful", as: Bool.self)
            if existing == helpful { return .unchanged }
            if existing != nil {
                try await sql.update("faq_votes").set("helpful", to: helpful).set("created_at", to: now)
                    .where("faq_id", .equal, entryID).where("voter", .equal, voter).run()
            } else {
                try await sql.insert(into: "faq_votes").columns("id", "faq_id", "voter", "helpful", "created_at")
                    .values(SQLBind(UUID()), SQLBind(entryID), SQLBind(voter), SQLBind(helpful), SQLBind(now)).run()
            }
            let up = helpful ? "helpful" : "unhelpful"
            let down = helpful ? "unhelpful" : "helpful"
            var update = sql.update(FAQEntry.schema).set(SQLIdentifier(up), to: SQLRaw("\(up) + 1"))
            if existing != nil { update = update.set(SQLIdentifier(down), to: SQLRaw("\(down) - 1")) }
            try await update.where("id", .equal, entryID).run()
            return existing == nil ? .counted : .changed
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
