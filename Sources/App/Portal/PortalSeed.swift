import Domain
import Fluent
import Foundation
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

    static func loadIfEmpty(_ app: Application) async throws {
        let db = app.db
        guard try await Article.query(on: db).count() == 0, try await FAQEntry.query(on: db).count() == 0 else { return }
        let (articles, faq) = try read(from: directory(app))
        let now = app.clock.now()
        for article in articles {
            try await KnowledgeBaseService.save(articleID: nil, article, author: nil, note: "Исходное наполнение", now: now, on: db)
        }
        for entry in faq {
            try await KnowledgeBaseService.saveFAQ(entryID: nil, entry, author: nil, now: now, on: db)
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
