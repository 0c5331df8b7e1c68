import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// Ranked Russian full-text search over the portal's documents (issue 6): documents are indexed by
/// their stems (`SearchText`), the title counting three times; a query finds documents with all its
/// terms, or failing that any of them, ranked by BM25 (SQLite FTS5) or `ts_rank_cd` (PostgreSQL), with
/// a snippet whose matching words are marked.
enum SearchIndex {
    struct Hit: Content, Equatable {
        var kind: String
        var ref: String
        var title: String
        var url: String
        /// HTML: the text escaped, matching words in `<mark>`.
        var snippet: String
    }

    static let titleWeight = 3

    /// What a document is indexed by: its title's terms `titleWeight` times, then its body's.
    static func documentTerms(title: String, body: String) -> String {
        let titleTerms = SearchText.stems(title).joined(separator: " ")
        return (Array(repeating: titleTerms, count: titleWeight) + [SearchText.stems(body).joined(separator: " ")]).joined(separator: " ")
    }

    static func upsert(kind: String, ref: String, title: String, body: String, url: String, now: Date, on db: any Database) async throws {
        guard db is any SQLDatabase else { return }
        let terms = documentTerms(title: title, body: body)
        try await db.transaction { db in
            let sql = db as! any SQLDatabase
            let existing = try await sql.select().column("id").from("search_documents").where("kind", .equal, kind).where("ref", .equal, ref)
                .first()?.decode(column: "id", as: UUID.self)
            let id = existing ?? UUID()
            if existing != nil {
                try await sql.update("search_documents").set("title", to: title).set("body", to: body).set("terms", to: terms)
                    .set("url", to: url).set("updated_at", to: now).where("id", .equal, id).run()
            } else {
                try await sql.insert(into: "search_documents")
                    .columns("id", "kind", "ref", "title", "body", "terms", "url", "updated_at")
                    .values(SQLBind(id), SQLBind(kind), SQLBind(ref), SQLBind(title), SQLBind(body), SQLBind(terms), SQLBind(url), SQLBind(now))
                    .run()
            }
            if sql.dialect.name != "postgresql" {
                try await sql.raw("DELETE FROM search_fts WHERE doc_id = \(bind: id.uuidString)").run()
                try await sql.raw("INSERT INTO search_fts (doc_id, terms) VALUES (\(bind: id.uuidString), \(bind: terms))").run()
            }
        }
    }

    static func remove(kind: String, ref: String, on db: any Database) async throws {
        try await db.transaction { db in
            let sql = db as! any SQLDatabase
            guard let id = try await sql.select().column("id").from("search_documents").where("kind", .equal, kind)
                .where("ref", .equal, ref).first()?.decode(column: "id", as: UUID.self)
            else { return }
            if sql.dialect.name != "postgresql" {
                try await sql.raw("DELETE FROM search_fts WHERE doc_id = \(bind: id.uuidString)").run()
            }
            try await sql.delete(from: "search_documents").where("id", .equal, id).run()
        }
    }

    static func search(_ query: String, kinds: [String]? = nil, limit: Int = 20, on db: any Database) async throws -> [Hit] {
        let terms = SearchText.queryTerms(query)
        guard !terms.isEmpty, let sql = db as? any SQLDatabase else { return [] }
        var ids = try await rankedIDs(terms, all: true, kinds: kinds, limit: limit, on: sql)
        if ids.isEmpty, terms.count > 1 { ids = try await rankedIDs(terms, all: false, kinds: kinds, limit: limit, on: sql) }
        guard !ids.isEmpty else { return [] }
        let rows = try await sql.select().columns("id", "kind", "ref", "title", "body", "url").from("search_documents")
            .where("id", .in, ids).all()
        var byID: [UUID: Hit] = [:]
        for row in rows {
            let body = try row.decode(column: "body", as: String.self)
            byID[try row.decode(column: "id", as: UUID.self)] = Hit(
                kind: try row.decode(column: "kind", as: String.self), ref: try row.decode(column: "ref", as: String.self),
                title: try row.decode(column: "title", as: String.self), url: try row.decode(column: "url", as: String.self),
                snippet: SearchText.snippet(body, terms: terms, open: "<mark>", close: "</mark>", escape: htmlEscape))
        }
        return ids.compactMap { byID[$0] }
    }

    /// Document ids, best first.
    private static func rankedIDs(_ terms: [String], all: Bool, kinds: [String]?, limit: Int, on sql: any SQLDatabase)
        async throws -> [UUID]
    {
        if sql.dialect.name == "postgresql" {
            let query = terms.joined(separator: all ? " & " : " | ")
            var select = sql.select().column("id").from("search_documents")
                .where(SQLRaw("to_tsvector('simple', terms) @@ to_tsquery('simple', \(bindLiteral(query, sql)))"))
            if let kinds { select = select.where("kind", .in, kinds) }
            select = select.orderBy(SQLRaw("ts_rank_cd(to_tsvector('simple', terms), to_tsquery('simple', \(bindLiteral(query, sql)))) DESC"))
            return try await select.limit(limit).all().map { try $0.decode(column: "id", as: UUID.self) }
        }
        let match = terms.map { "\"\($0)\"" }.joined(separator: all ? " AND " : " OR ")
        let kindFilter = kinds.map { list in
            " AND doc_id IN (SELECT CAST(id AS TEXT) FROM search_documents WHERE kind IN (" + list.map { "'\($0.replacingOccurrences(of: "'", with: "''"))'" }.joined(separator: ",") + "))"
        } ?? ""
        let rows = try await sql.raw(
            "SELECT doc_id FROM search_fts WHERE search_fts MATCH \(bind: match)\(unsafeRaw: kindFilter) ORDER BY bm25(search_fts) LIMIT \(bind: limit)"
        ).all()
        return try rows.compactMap { UUID(uuidString: try $0.decode(column: "doc_id", as: String.self)) }
    }

    /// Terms are letters and digits only (SearchText), so the query string is safe as a literal.
    private static func bindLiteral(_ text: String, _ sql: any SQLDatabase) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    static func htmlEscape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}

extension SearchIndex {
    static let topicKind = "topic"

    /// The classifier's topics are searchable from the portal: each leads to the appeal form for it.
    /// Rebuilt in one transaction after every classifier change and at start.
    static func reindexTopics(on db: any Database, now: Date) async throws {
        let spec = try await ClassifierService.current(on: db)
        let rows: [(String, String, String, String, String)] = spec.categories.flatMap { category in
            category.subcategories.map { sub in
                let body = ([category.name] + sub.keywords).joined(separator: ". ")
                return (sub.code, sub.name, body, documentTerms(title: sub.name, body: body), "/appeals/new?subcategory=\(sub.code)")
            }
        }
        try await db.transaction { db in
            let sql = db as! any SQLDatabase
            if sql.dialect.name != "postgresql" {
                try await sql.raw(
                    "DELETE FROM search_fts WHERE doc_id IN (SELECT CAST(id AS TEXT) FROM search_documents WHERE kind = \(bind: topicKind))"
                ).run()
            }
            try await sql.delete(from: "search_documents").where("kind", .equal, topicKind).run()
            guard !rows.isEmpty else { return }
            var insert = sql.insert(into: "search_documents").columns("id", "kind", "ref", "title", "body", "terms", "url", "updated_at")
            var fts: [(UUID, String)] = []
            for (code, name, body, terms, url) in rows {
                let id = UUID()
                fts.append((id, terms))
                insert = insert.values(
                    SQLBind(id), SQLBind(topicKind), SQLBind(code), SQLBind(name), SQLBind(body), SQLBind(terms), SQLBind(url), SQLBind(now))
            }
            try await insert.run()
            if sql.dialect.name != "postgresql" {
                var ftsInsert = sql.insert(into: "search_fts").columns("doc_id", "terms")
                for (id, terms) in fts { ftsInsert = ftsInsert.values(SQLBind(id.uuidString), SQLBind(terms)) }
                try await ftsInsert.run()
            }
        }
    }
}

/// `/search?q=` for people and `GET /api/v1/search?q=&kind=` for programs.
struct SearchController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("search", use: page)
    }

    func bootAPI(_ api: any RoutesBuilder) {
        api.get("search", use: { request async throws -> SearchDTO in try await Self.results(request) })
    }

    struct SearchDTO: Content {
        var query: String
        var items: [SearchIndex.Hit]
    }

    static func results(_ request: Request) async throws -> SearchDTO {
        let query = String(((try? request.query.get(String.self, at: "q")) ?? "").prefix(SearchText.maxQueryLength))
        let kinds = (try? request.query.get(String.self, at: "kind")).map { [$0] }
        return SearchDTO(query: query, items: try await SearchIndex.search(query, kinds: kinds, limit: 30, on: request.db))
    }

    struct Page: Encodable {
        struct Item: Encodable {
            var title: String
            var url: String
            var kind: String
            var snippet: String
        }

        var layout: Layout
        var query: String
        var items: [Item]
        var searched: Bool
    }

    static func kindTitle(_ kind: String) -> String {
        switch kind {
        case SearchIndex.topicKind: "Тема обращения"
        case "article": "Статья"
        case "faq": "Вопрос и ответ"
        case "template": "Шаблон претензии"
        default: "Материал"
        }
    }

    @Sendable
    func page(request: Request) async throws -> Response {
        let result = try await Self.results(request)
        return try await request.render(
            "search/results",
            Page(
                layout: await Layout.make(for: request, title: result.query.isEmpty ? "Поиск" : "Поиск: \(result.query)"),
                query: result.query,
                items: result.items.map { Page.Item(title: $0.title, url: $0.url, kind: Self.kindTitle($0.kind), snippet: $0.snippet) },
                searched: !result.query.trimmingWhitespace().isEmpty))
    }
}
