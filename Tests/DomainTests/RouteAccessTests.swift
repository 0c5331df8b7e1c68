import Foundation
import Testing

@testable import Domain

/// The rules the authorisation matrix checks routes against (`RouteAccess`).
@Suite("Route access rules")
struct RouteAccessTests {
    let office = UUID()
    let department = UUID()
    let city = UUID()

    var tree: OrganisationTree { OrganisationTree(parents: [(office, nil), (department, office), (city, nil)]) }

    func allows(_ rule: RouteRule, _ grants: [Grant]?, in organisation: UUID? = nil, owner: Bool = false, tree: OrganisationTree? = nil) -> Bool {
        let actor = grants.map { Actor(userID: UUID(), grants: $0) }
        return RouteAccess.allows(
            rule, .init(actor: actor, tree: tree ?? self.tree, regionWide: [office], subjectOrganisation: organisation, isOwner: owner))
    }

    @Test func anonymousCallersGetOnlyOpenRoutes() {
        #expect(allows(.anyone, nil))
        for rule in [RouteRule.signedIn, .staff, .anywhere(.viewOrganisations), .secret, .statistics, .owner(.appeal)] {
            #expect(!allows(rule, nil))
        }
    }

    @Test func scopedRulesFollowTheObjectsOrganisation() {
        let coordinator = [Grant(role: .coordinator, organisationID: department)]
        #expect(allows(.scoped(.coordinate, .appeal), coordinator, in: department))
        #expect(!allows(.scoped(.coordinate, .appeal), coordinator, in: city))
        #expect(allows(.scoped(.viewAppeals, .appeal), [Grant(role: .manager, organisationID: office)], in: department))
        // The applicant reads their own appeal; the rule says so, not their roles.
        #expect(allows(.ownerOr(.viewAppeals, .appeal), [Grant(role: .citizen, organisationID: nil)], in: city, owner: true))
        #expect(!allows(.ownerOr(.viewAppeals, .appeal), [Grant(role: .citizen, organisationID: nil)], in: city))
        #expect(RouteAccess.subject(of: .scoped(.moderate, .appeal)) == .appeal)
        #expect(RouteAccess.subject(of: .anywhere(.moderate)) == nil)
    }

    @Test func secretLinksAdmitNobodyWithoutTheSecretAndDeactivatedStaffAreNotStaff() {
        #expect(!allows(.secret, [Grant(role: .admin, organisationID: nil)]))
        let closed = OrganisationTree(parents: [(office, nil), (department, office), (city, nil)], inactive: [department])
        #expect(allows(.staff, [Grant(role: .executor, organisationID: department)]))
        #expect(!allows(.staff, [Grant(role: .executor, organisationID: department)], tree: closed))
        #expect(!allows(.staff, [Grant(role: .citizen, organisationID: nil)]))
    }

    @Test func statisticsReachTheRegionFromTheRegionalOfficeOnly() {
        #expect(allows(.regionStatistics, [Grant(role: .editor, organisationID: office)]))
        #expect(allows(.statistics, [Grant(role: .executor, organisationID: department)]))
        #expect(!allows(.regionStatistics, [Grant(role: .executor, organisationID: department)]))
        #expect(!allows(.statistics, [Grant(role: .citizen, organisationID: nil)]))
    }
}
