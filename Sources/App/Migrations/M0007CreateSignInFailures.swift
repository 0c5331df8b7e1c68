import Fluent

/// Failed sign-ins, kept in the database so throttling holds across restarts and nodes.
struct M0007CreateSignInFailures: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("sign_in_failures")
            .id()
            .field("key", .string, .required)
            .field("at", .datetime, .required)
            .create()
        try await database.createIndex("sign_in_failures_key_at_idx", on: "sign_in_failures", columns: ["key", "at"])
        try await database.createIndex("sign_in_failures_at_idx", on: "sign_in_failures", columns: ["at"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("sign_in_failures").delete()
    }
}
