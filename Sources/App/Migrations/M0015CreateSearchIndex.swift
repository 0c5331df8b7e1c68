import Fluent
import SQLKit

/// The portal's full-text index: one row per searchable document (article, FAQ entry, claim template),
/// holding its Russian stems; SQLite indexes them with FTS5, PostgreSQL with a GIN index over a
/// `simple` tsvector (the stemming is ours, so both engines match the same terms).
struct M0015CreateSearchIndex: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("search_documents")
            .id()
            .field("kind", .string, .required)
            .field("ref", .string, .required)
            .field("title", .string, .required)
            .field("body", .string, .required)
            .field("terms", .string, .required)
            .field("url", .string, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "kind", "ref")
            .create()
        guard let sql = database as? any SQLDatabase else { return }
        if sql.dialect.name == "postgresql" {
            try await sql.raw("CREATE INDEX search_documents_terms_idx ON search_documents USING GIN (to_tsvector('simple', terms))").run()
        } else {
            // Contentless FTS5 keyed by the document id; diacritics kept (й is not и).
            try await sql.raw("CREATE VIRTUAL TABLE search_fts USING fts5(doc_id UNINDEXED, terms, tokenize = 'unicode61 remove_diacritics 0')").run()
        }
    }

    func revert(on database: any Database) async throws {
        if let sql = database as? any SQLDatabase, sql.dialect.name != "postgresql" {
            try await sql.raw("DROP TABLE IF EXISTS search_fts").run()
        }
        try await database.schema("search_documents").delete()
    }
}
