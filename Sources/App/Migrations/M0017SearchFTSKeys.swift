import Fluent
import Foundation
import SQLKit

/// Search that stays fast at 100,000 documents.
/// SQLite: the full-text table was keyed by a document-id column FTS5 cannot index, so replacing or
/// removing one document scanned them all, and a kind filter read every match's row. The rebuilt table is
/// keyed by its own rowid (kept in `search_documents.fts_rowid`, in insertion order, so the newest
/// documents have the highest) and indexes the kind as a column of its own.
/// PostgreSQL: the vector is stored (a generated column under the GIN index), so ranking reads it instead of
/// recomputing it for every candidate.
struct M0017SearchFTSKeys: AsyncMigration {
    func prepare(on database: any Database) async throws {
        guard database is any SQLDatabase else { return }
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            try await database.schema("search_documents").field("fts_rowid", .int64).update()
            if sql.dialect.name == "postgresql" {
                try await sql.raw("ALTER TABLE search_documents ADD COLUMN terms_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED").run()
                try await sql.raw("DROP INDEX IF EXISTS search_documents_terms_idx").run()
                try await sql.raw("CREATE INDEX search_documents_tsv_idx ON search_documents USING GIN (terms_tsv)").run()
                return
            }
            // Numbered in one statement each, not row by row: an installation may hold many documents.
            try await sql.raw("CREATE TEMP TABLE fts_numbering AS SELECT id, row_number() OVER (ORDER BY updated_at, id) AS n FROM search_documents").run()
            try await sql.raw("CREATE UNIQUE INDEX temp.fts_numbering_id ON fts_numbering (id)").run()
            try await sql.raw("UPDATE search_documents SET fts_rowid = (SELECT n FROM fts_numbering WHERE fts_numbering.id = search_documents.id)").run()
            try await sql.raw("DROP TABLE fts_numbering").run()
            try await sql.raw("CREATE UNIQUE INDEX search_documents_fts_rowid_idx ON search_documents (fts_rowid)").run()
            try await sql.raw("DROP TABLE IF EXISTS search_fts").run()
            try await sql.raw("CREATE VIRTUAL TABLE search_fts USING fts5(kind, terms, tokenize = 'unicode61 remove_diacritics 0')").run()
            try await sql.raw("INSERT INTO search_fts (rowid, kind, terms) SELECT fts_rowid, kind, terms FROM search_documents").run()
        }
    }

    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        if sql.dialect.name == "postgresql" {
            try await sql.raw("DROP INDEX IF EXISTS search_documents_tsv_idx").run()
            try await sql.raw("ALTER TABLE search_documents DROP COLUMN terms_tsv").run()
            try await sql.raw("CREATE INDEX search_documents_terms_idx ON search_documents USING GIN (to_tsvector('simple', terms))").run()
        } else {
            try await sql.raw("DROP TABLE IF EXISTS search_fts").run()
            try await sql.raw("DROP INDEX IF EXISTS search_documents_fts_rowid_idx").run()
            try await sql.raw("CREATE VIRTUAL TABLE search_fts USING fts5(doc_id UNINDEXED, terms, tokenize = 'unicode61 remove_diacritics 0')").run()
            try await sql.raw("INSERT INTO search_fts (doc_id, terms) SELECT CAST(id AS TEXT), terms FROM search_documents").run()
        }
        try await database.schema("search_documents").deleteField("fts_rowid").update()
    }
}
