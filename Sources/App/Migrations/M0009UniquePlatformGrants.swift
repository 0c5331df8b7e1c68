import Fluent
import Foundation
import SQLKit

/// `UNIQUE(user_id, organisation_id, role)` does not hold where `organisation_id` is NULL (NULLs are
/// distinct on both engines), so platform-wide grants get a partial unique index of their own.
struct M0009UniquePlatformGrants: AsyncMigration {
    func prepare(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        // Keep one of any duplicates the missing index let in, so the index can be built.
        let rows = try await sql.raw(
            "SELECT id, user_id, role FROM role_grants WHERE organisation_id IS NULL ORDER BY created_at, id"
        ).all()
        var seen: Set<String> = []
        for row in rows {
            let id = try row.decode(column: "id", as: UUID.self)
            let key = "\(try row.decode(column: "user_id", as: UUID.self))/\(try row.decode(column: "role", as: String.self))"
            if !seen.insert(key).inserted {
                try await sql.delete(from: "role_grants").where("id", .equal, SQLBind(id)).run()
            }
        }
        try await sql.raw(
            "CREATE UNIQUE INDEX role_grants_platform_unique ON role_grants (user_id, role) WHERE organisation_id IS NULL"
        ).run()
    }

    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("DROP INDEX role_grants_platform_unique").run()
    }
}
