import Domain
import Fluent
import Vapor

enum StaffQueries {
    struct Member {
        var user: User
        var grants: [RoleGrant]
    }

    /// People holding any role in the organisation, with their grants there; two queries, no N+1.
    static func staff(of organisationID: UUID, on db: any Database) async throws -> [Member] {
        let grants = try await RoleGrant.query(on: db)
            .filter(\.$organisation.$id == organisationID)
            .all()
        let userIDs = Array(Set(grants.map { $0.$user.id }))
        guard !userIDs.isEmpty else { return [] }
        let users = try await User.query(on: db).filter(\.$id ~~ userIDs).sort(\.$surname).sort(\.$name).all()
        let byUser = Dictionary(grouping: grants, by: { $0.$user.id })
        return users.map { user in Member(user: user, grants: (byUser[user.id!] ?? []).sorted { $0.role < $1.role }) }
    }
}
