import Domain
import Fluent
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// The knowledge base ships with content written for this project (Resources/Portal): articles and
/// FAQ entries as Markdown files with a `---` header. Loaded once, into an empty knowledge base; after
/// that the editors own it.
enum PortalSeed {
    struct Problem: Error, CustomStringConvertible {
        var file: String
        var reason: String
        var description: String { "\(file): \(reason)" }
    }

    static func directory(_ app: Application) -> URL {
        URL(fileURLWithPath: app.directory.resourcesDirectory).appendingPathComponent("Portal")
    }

    /// The files read, checked and stemmed: the same for every database this process seeds (tests
    /// start hundreds), so the work is done once.
    struct Prepared: Sendable {
        var articles: [(CheckedArticle, terms: String)]
        var faq: [(CheckedFAQ, terms: String)]
    }

    private static let prepared = NIOLockedValueBox<[String: Prepared]>([:])

    static func prepare(_ directory: URL) throws -> Prepared {
        if let done = prepared.withLockedValue({ $0[directory.path] }) { return done }
        let (articles, faq) = try read(from: directory)
        let result = Prepared(
            articles: articles.map { article in
                let body = KnowledgeBaseService.searchBody(summary: article.summary, tags: article.tags, markdown: article.body)
                return (article, SearchIndex.documentTerms(title: article.title, body: body))
            },
            faq: faq.map { entry in
                (entry, SearchIndex.documentTerms(title: entry.question, body: KnowledgeBaseService.searchBody(answer: entry.answer, references: entry.references)))
            })
        prepared.withLockedValue { $0[directory.path] = result }
        return result
    }

    static func loadIfEmpty(_ app: Application) async throws {
        let db = app.db
        guard try await Article.query(on: db).count() == 0, try await FAQEntry.query(on: db).count() == 0 else { return }
        let content = try prepare(directory(app))
        let (articles, faq) = (content.articles, content.faq)
        let now = app.clock.now()
        try await db.transaction { db in
            for (article, terms) in articles {
                try await KnowledgeBaseService.save(articleID: nil, article, author: nil, note: "Исходное наполнение", terms: terms, now: now, on: db)
            }
            for (entry, terms) in faq {
                try await KnowledgeBaseService.saveFAQ(entryID: nil, entry, author: nil, terms: terms, now: now, on: db)
            }
        }
        app.logger.info("Knowledge base seeded: \(articles.count) articles, \(faq.count) FAQ entries")
    }

    /// Every file is checked by the same rules as the editor's form; a bad file stops the start.
    static func read(from directory: URL) throws -> ([CheckedArticle], [CheckedFAQ]) {
        func files(_ sub: String) throws -> [URL] {
            let folder = directory.appendingPathComponent(sub)
            guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
            return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "md" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        }
        func parse(_ url: URL) throws -> FrontMatterDocument {
            do {
                return try FrontMatterDocument.parse(String(decoding: try Data(contentsOf: url), as: UTF8.self))
            } catch {
                throw Problem(file: url.lastPathComponent, reason: "header: \(error)")
            }
        }
        func check<T>(_ url: URL, _ body: () throws(ValidationFailure) -> T) throws -> T {
            do {
                return try body()
            } catch {
                throw Problem(file: url.lastPathComponent, reason: error.errors.map { "\($0.field) \($0.code)" }.joined(separator: ", "))
            }
        }
        let articles = try files("articles").map { url in
            let doc = try parse(url)
            let f = doc.fields
            return try check(url) { () throws(ValidationFailure) in
                try ArticleRules.check(ArticleDraft(
                    slug: f["slug"], title: f["title"], summary: f["summary"], sphere: f["sphere"], kind: f["kind"],
                    tags: f["tags"], body: doc.body, status: ArticleStatus.published.rawValue, visibility: f["visibility"]))
            }
        }
        let faq = try files("faq").map { url in
            let doc = try parse(url)
            let f = doc.fields
            return try check(url) { () throws(ValidationFailure) in
                try FAQRules.check(FAQDraft(
                    slug: f["slug"], question: f["question"], answer: doc.body, sphere: f["sphere"], references: f["references"],
                    status: ArticleStatus.published.rawValue))
            }
        }
        return (articles, faq)
    }
}
