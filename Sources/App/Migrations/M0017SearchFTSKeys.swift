import Fluent
import Foundation
import SQLKit

/// SQLite's full-text table was keyed by a document-id column FTS5 cannot index, so replacing or
/// removing one document scanned them all, and filtering by kind went through a second table. The
/// rebuilt table is keyed by its own rowid (kept in `search_documents.fts_rowid`, in insertion order,
/// so the newest documents have the highest) and carries the kind. PostgreSQL needs none of it.
struct M0017SearchFTSKeys: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("search_documents").field("fts_rowid", .int64).update()
        guard let sql = database as? any SQLDatabase, sql.dialect.name != "postgresql" else { return }
        try await sql.raw("CREATE UNIQUE INDEX search_documents_fts_rowid_idx ON search_documents (fts_rowid)").run()
        try await sql.raw("DROP TABLE IF EXISTS search_fts").run()
        try await sql.raw("CREATE VIRTUAL TABLE search_fts USING fts5(kind UNINDEXED, terms, tokenize = 'unicode61 remove_diacritics 0')").run()
        let rows = try await sql.select().columns("id", "kind", "terms").from("search_documents").orderBy("updated_at").all()
        for (index, row) in rows.enumerated() {
            let rowid = Int64(index + 1)
            try await sql.raw("INSERT INTO search_fts (rowid, kind, terms) VALUES (\(bind: rowid), \(bind: try row.decode(column: "kind", as: String.self)), \(bind: try row.decode(column: "terms", as: String.self)))").run()
            try await sql.update("search_documents").set("fts_rowid", to: rowid).where("id", .equal, try row.decode(column: "id", as: UUID.self)).run()
        }
    }

    func revert(on database: any Database) async throws {
        if let sql = database as? any SQLDatabase, sql.dialect.name != "postgresql" {
            try await sql.raw("DROP TABLE IF EXISTS search_fts").run()
            try await sql.raw("DROP INDEX IF EXISTS search_documents_fts_rowid_idx").run()
            try await sql.raw("CREATE VIRTUAL TABLE search_fts USING fts5(doc_id UNINDEXED, terms, tokenize = 'unicode61 remove_diacritics 0')").run()
            try await sql.raw("INSERT INTO search_fts (doc_id, terms) SELECT CAST(id AS TEXT), terms FROM search_documents").run()
        }
        try await database.schema("search_documents").deleteField("fts_rowid").update()
    }
}
