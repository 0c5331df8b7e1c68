import Fluent
import SQLKit

/// `UNIQUE(user_id, organisation_id, role)` does not hold where `organisation_id` is NULL (NULLs are
/// distinct on both engines), so platform-wide grants get a partial unique index of their own.
struct M0009UniquePlatformGrants: AsyncMigration {
    func prepare(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw(
            "CREATE UNIQUE INDEX role_grants_platform_unique ON role_grants (user_id, role) WHERE organisation_id IS NULL"
        ).run()
    }

    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("DROP INDEX role_grants_platform_unique").run()
    }
}
