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

    /// `terms`, when given, must be `documentTerms(title:body:)` of the same text (computed ahead, e.g.
    /// once for shipped content that every new database loads).
    static func upsert(
        kind: String, ref: String, title: String, body: String, url: String, terms precomputed: String? = nil, now: Date, on db: any Database
    ) async throws {
        guard db is any SQLDatabase else { return }
        let terms = precomputed ?? documentTerms(title: title, body: body)
        try await db.transaction { db in
            let sql = db as! any SQLDatabase
            let existingRow = try await sql.select().columns("id", "fts_rowid").from("search_documents").where("kind", .equal, kind)
                .where("ref", .equal, ref).first()
            let existing = try existingRow?.decode(column: "id", as: UUID.self)
            let id = existing ?? UUID()
            var rowid: Int64?
            if sql.dialect.name != "postgresql" {
                if let old = try existingRow?.decode(column: "fts_rowid", as: Int64?.self) { try await FTS.delete(old, on: sql) }
                let next = try await FTS.nextRowID(on: sql)
                try await FTS.insert(next, kind: kind, terms: terms, on: sql)
                rowid = next
            }
            if existing != nil {
                try await sql.update("search_documents").set("title", to: title).set("body", to: body).set("terms", to: terms)
                    .set("url", to: url).set("updated_at", to: now).set("fts_rowid", to: rowid).where("id", .equal, id).run()
            } else {
                try await sql.insert(into: "search_documents")
                    .columns("id", "kind", "ref", "title", "body", "terms", "url", "updated_at", "fts_rowid")
                    .values(SQLBind(id), SQLBind(kind), SQLBind(ref), SQLBind(title), SQLBind(body), SQLBind(terms), SQLBind(url), SQLBind(now), SQLBind(rowid))
                    .run()
            }
        }
    }

    static func remove(kind: String, ref: String, on db: any Database) async throws {
        try await db.transaction { db in
            let sql = db as! any SQLDatabase
            guard let row = try await sql.select().columns("id", "fts_rowid").from("search_documents").where("kind", .equal, kind)
                .where("ref", .equal, ref).first()
            else { return }
            if sql.dialect.name != "postgresql", let rowid = try row.decode(column: "fts_rowid", as: Int64?.self) {
                try await FTS.delete(rowid, on: sql)
            }
            try await sql.delete(from: "search_documents").where("id", .equal, try row.decode(column: "id", as: UUID.self)).run()
        }
    }

    /// SQLite's FTS5 table, keyed by rowid (`search_documents.fts_rowid`), newest highest.
    enum FTS {
        static func nextRowID(on sql: any SQLDatabase) async throws -> Int64 {
            try await sql.raw("SELECT coalesce(max(fts_rowid), 0) + 1 AS next FROM search_documents").first()?.decode(column: "next", as: Int64.self) ?? 1
        }

        static func insert(_ rowid: Int64, kind: String, terms: String, on sql: any SQLDatabase) async throws {
            try await sql.raw("INSERT INTO search_fts (rowid, kind, terms) VALUES (\(bind: rowid), \(bind: kind), \(bind: terms))").run()
        }

        static func delete(_ rowid: Int64, on sql: any SQLDatabase) async throws {
            try await sql.raw("DELETE FROM search_fts WHERE rowid = \(bind: rowid)").run()
        }
    }

    static func search(_ query: String, kinds: [String]? = nil, limit: Int = 20, on db: any Database) async throws -> [Hit] {
        if let kinds, !kinds.allSatisfy(Self.kinds.contains) { throw AppError.badRequest("kind: one of article, faq, template, topic") }
        let terms = SearchText.queryTerms(query)
        guard !terms.isEmpty, let sql = db as? any SQLDatabase else { return [] }
        var ids = try await rankedIDs(terms, all: true, kinds: kinds, limit: limit, on: sql)
        if ids.keys.isEmpty, terms.count > 1 { ids = try await rankedIDs(terms, all: false, kinds: kinds, limit: limit, on: sql) }
        guard !ids.keys.isEmpty else { return [] }
        let rows = try await sql.select().columns("id", "fts_rowid", "kind", "ref", "title", "body", "url").from("search_documents")
            .where(SQLIdentifier(ids.column), .in, SQLGroupExpression(ids.values)).all()
        var byKey: [String: (hit: Hit, body: String)] = [:]
        for row in rows {
            let key = try ids.column == "id"
                ? row.decode(column: "id", as: UUID.self).uuidString : String(row.decode(column: "fts_rowid", as: Int64.self))
            byKey[key] = (
                Hit(
                    kind: try row.decode(column: "kind", as: String.self), ref: try row.decode(column: "ref", as: String.self),
                    title: try row.decode(column: "title", as: String.self), url: try row.decode(column: "url", as: String.self),
                    snippet: ""),
                try row.decode(column: "body", as: String.self)
            )
        }
        var found = ids.keys.compactMap { byKey[$0] }
        if ids.byTitle {
            // Short documents (topics, templates): the query's words in the title count twice, in the text once.
            let scored = found.map {
                ($0, 2 * SearchText.matched(terms, in: Set(SearchText.stems($0.hit.title))) + SearchText.matched(terms, in: Set(SearchText.stems($0.body))))
            }
            found = scored.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.hit.title.count < $1.0.hit.title.count }.map(\.0)
        }
        // Snippets only for what is shown.
        return found.prefix(limit).map { item in
            var hit = item.hit
            hit.snippet = SearchText.snippet(item.body, terms: terms, open: "<mark>", close: "</mark>", escape: Markdown.escape)
            return hit
        }
    }

    /// The documents found, best first: by `id` (PostgreSQL) or by `fts_rowid` (SQLite).
    struct Ranked {
        var column: String
        var keys: [String]
        var values: [any SQLExpression]
        /// Not ranked by the database: order by how many query terms the title and text hold.
        var byTitle = false
    }

    private static func rankedIDs(_ terms: [String], all: Bool, kinds: [String]?, limit: Int, on sql: any SQLDatabase)
        async throws -> Ranked
    {
        if sql.dialect.name == "postgresql" {
            let query = terms.joined(separator: all ? " & " : " | ")
            let kindFilter: SQLQueryString = kinds.map { " AND kind IN (\(binds: $0))" } ?? ""
            // Rank at most `postgresCandidateCap` matches, over the stored vector. Which ones is the planner's
            // choice: asking for the newest would make it fetch and sort every match of a common word first.
            let rows = try await sql.raw("""
                SELECT id FROM (SELECT id, terms_tsv FROM search_documents
                  WHERE terms_tsv @@ to_tsquery('simple', \(bind: query))\(kindFilter)
                  LIMIT \(bind: postgresCandidateCap)) AS candidates
                ORDER BY ts_rank_cd(terms_tsv, to_tsquery('simple', \(bind: query))) DESC LIMIT \(bind: limit)
                """).all()
            let ids = try rows.map { try $0.decode(column: "id", as: UUID.self) }
            return Ranked(column: "id", keys: ids.map(\.uuidString), values: ids.map { SQLBind($0) })
        }
        // Terms are letters and digits (SearchText) and kinds are known words, so both are safe inside
        // the FTS5 query, which is itself bound. The kind is an indexed column: FTS5 intersects it with the
        // terms as it does terms with each other, and bm25 gives it no weight.
        var match = "terms : (" + terms.map { "\"\($0)\"" }.joined(separator: all ? " AND " : " OR ") + ")"
        if let kinds {
            // Intersecting with the kinds wanted, or taking away the ones not wanted: whichever reads the
            // shorter lists (the portal's materials are most documents; topics and templates are few).
            let others = Self.kinds.subtracting(kinds).sorted()
            if others.isEmpty {
                // Every kind: no filter.
            } else if Set(kinds).count > others.count || others.allSatisfy(Self.fewKinds.contains) {
                match += " NOT kind : (" + others.joined(separator: " OR ") + ")"
            } else {
                match += " AND kind : (" + kinds.joined(separator: " OR ") + ")"
            }
        }
        if let kinds, kinds.allSatisfy(fewKinds.contains) {
            // A few hundred documents at most: BM25 would first count each term over the whole index for its
            // weight; these are ranked by the query's words they hold instead (`byTitle`).
            let rows = try await sql.raw("SELECT rowid AS r FROM search_fts WHERE search_fts MATCH \(bind: match) ORDER BY rowid DESC LIMIT 60").all()
            let rowids = try rows.map { try $0.decode(column: "r", as: Int64.self) }
            return Ranked(column: "fts_rowid", keys: rowids.map { String($0) }, values: rowids.map { SQLBind($0) }, byTitle: true)
        }
        // BM25 over every match of a common word costs milliseconds per thousand rows: only the newest
        // `candidateCap` matches (a rowid range FTS5 walks backwards cheaply) are ranked.
        let rows = try await sql.raw("""
            SELECT rowid AS r FROM search_fts WHERE search_fts MATCH \(bind: match)
              AND rowid >= coalesce((SELECT min(rowid) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH \(bind: match)
                ORDER BY rowid DESC LIMIT \(bind: candidateCap))), 0)
            ORDER BY bm25(search_fts, 0.0, 1.0) LIMIT \(bind: limit)
            """).all()
        let rowids = try rows.map { try $0.decode(column: "r", as: Int64.self) }
        return Ranked(column: "fts_rowid", keys: rowids.map { String($0) }, values: rowids.map { SQLBind($0) })
    }

    /// How many matches are ranked at most; beyond it, the newest documents win. BM25 costs about 10 µs a
    /// candidate on SQLite; 300 keeps a common word's query within a few milliseconds.
    static let candidateCap = 300
    static let postgresCandidateCap = 200

    /// Kinds with a few hundred documents at most (the classifier's topics, the claim templates).
    static let fewKinds: Set<String> = [templateKind, topicKind]

    /// What the portal indexes. A search by kind names only these.
    static let kinds: Set<String> = [KnowledgeBaseService.articleKind, KnowledgeBaseService.faqKind, templateKind, topicKind]
}

extension SearchIndex {
    static let topicKind = "topic"
    static let templateKind = "template"

    /// The classifier's topics are searchable from the portal: each leads to the appeal form for it.
    /// Rebuilt in one transaction after every classifier change and at start.
    static func reindexTopics(on db: any Database, now: Date) async throws {
        let spec = try await ClassifierService.current(on: db)
        let documents = spec.categories.flatMap { category in
            category.subcategories.map { sub in
                Document(
                    ref: sub.code, title: sub.name, body: ([category.name] + sub.keywords).joined(separator: ". "),
                    url: "/appeals/new?subcategory=\(sub.code)")
            }
        }
        try await replaceAll(of: topicKind, with: documents, now: now, on: db)
    }

    /// The claim templates («Составить претензию»): what each demands and the articles it cites.
    static func reindexTemplates(on db: any Database, now: Date) async throws {
        let documents = ClaimType.allCases.map { type in
            Document(
                ref: type.rawValue, title: "Претензия: " + type.title,
                body: ([type.summary, type.termNote] + type.citations.map { $0.article + ": " + $0.statement }).joined(separator: ". "),
                url: "/claims/\(type.rawValue)")
        }
        try await replaceAll(of: templateKind, with: documents, now: now, on: db)
    }

    struct Document {
        var ref: String
        var title: String
        var body: String
        var url: String
    }

    /// Replaces every document of a kind in one transaction (documents the product itself defines).
    static func replaceAll(of kind: String, with documents: [Document], now: Date, on db: any Database) async throws {
        let rows = documents.map { ($0, documentTerms(title: $0.title, body: $0.body)) }
        try await db.transaction { db in
            let sql = db as! any SQLDatabase
            let sqlite = sql.dialect.name != "postgresql"
            if sqlite {
                let old = try await sql.select().column("fts_rowid").from("search_documents").where("kind", .equal, kind).all()
                for row in old {
                    if let rowid = try row.decode(column: "fts_rowid", as: Int64?.self) { try await FTS.delete(rowid, on: sql) }
                }
            }
            try await sql.delete(from: "search_documents").where("kind", .equal, kind).run()
            guard !rows.isEmpty else { return }
            var next = sqlite ? try await FTS.nextRowID(on: sql) : 0
            var insert = sql.insert(into: "search_documents").columns("id", "kind", "ref", "title", "body", "terms", "url", "updated_at", "fts_rowid")
            var fts = sql.insert(into: "search_fts").columns("rowid", "kind", "terms")
            for (document, terms) in rows {
                let rowid: Int64? = sqlite ? next : nil
                next += 1
                insert = insert.values(
                    SQLBind(UUID()), SQLBind(kind), SQLBind(document.ref), SQLBind(document.title), SQLBind(document.body), SQLBind(terms),
                    SQLBind(document.url), SQLBind(now), SQLBind(rowid))
                fts = fts.values(SQLBind(rowid), SQLBind(kind), SQLBind(terms))
            }
            try await insert.run()
            if sqlite { try await fts.run() }
        }
    }
}

/// `/search?q=` for people and `GET /api/v1/search?q=&kind=` for programs.
struct SearchController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.grouped(RateLimitMiddleware(.search)).get("search", use: page)
    }

    func bootAPI(_ api: any RoutesBuilder) {
        api.grouped(RateLimitMiddleware(.search)).get("search", use: { request async throws -> SearchDTO in try await Self.results(request) }).document(.init(
            "Поиск по порталу (русская морфология)",
            description: "items — материалы (статьи, вопросы, шаблоны претензий), topics — подходящие темы обращений.",
            access: .open,
            query: [
                .string("q", "Запрос"),
                .string("kind", "Только материалы одного вида (article, faq, template, topic)"),
            ]))
    }

    /// Materials (articles, FAQ, claim templates) and, apart, the appeal topics that fit: people who
    /// search want an answer first and a way to complain second.
    struct SearchDTO: Content {
        var query: String
        var items: [SearchIndex.Hit]
        var topics: [SearchIndex.Hit]
    }

    static let materialKinds = [KnowledgeBaseService.articleKind, KnowledgeBaseService.faqKind, SearchIndex.templateKind]

    static func results(_ request: Request) async throws -> SearchDTO {
        let query = String(((try? request.query.get(String.self, at: "q")) ?? "").prefix(SearchText.maxQueryLength))
        if let kind = try? request.query.get(String.self, at: "kind") {
            return SearchDTO(query: query, items: try await SearchIndex.search(query, kinds: [kind], limit: 30, on: request.db), topics: [])
        }
        async let items = SearchIndex.search(query, kinds: materialKinds, limit: 30, on: request.db)
        async let topics = SearchIndex.search(query, kinds: [SearchIndex.topicKind], limit: 3, on: request.db)
        return SearchDTO(query: query, items: try await items, topics: try await topics)
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
        var topics: [Item]
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
                topics: result.topics.map { Page.Item(title: $0.title, url: $0.url, kind: Self.kindTitle($0.kind), snippet: $0.snippet) },
                searched: !result.query.trimmingWhitespace().isEmpty))
    }
}
