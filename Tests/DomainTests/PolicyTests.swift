import Foundation
import Testing

@testable import Domain

@Suite("Authorisation policy")
struct PolicyTests {
    // regional office → department A → sub-department; municipality tree separate; partner alone.
    let office = UUID()
    let departmentA = UUID()
    let subDepartment = UUID()
    let departmentB = UUID()
    let government = UUID()
    let municipality = UUID()
    let partner = UUID()

    var tree: OrganisationTree {
        OrganisationTree(parents: [
            (office, nil), (departmentA, office), (subDepartment, departmentA), (departmentB, office),
            (government, nil), (municipality, government), (partner, nil),
        ])
    }

    func actor(_ grants: Grant...) -> Actor { Actor(userID: UUID(), grants: grants) }

    @Test func adminOfOrganisationReachesItsSubtreeOnly() {
        let admin = actor(Grant(role: .admin, organisationID: departmentA))
        #expect(Policy.permits(admin, .manageStaff, in: .organisation(departmentA), tree: tree))
        #expect(Policy.permits(admin, .manageStaff, in: .organisation(subDepartment), tree: tree))
        #expect(!Policy.permits(admin, .manageStaff, in: .organisation(departmentB), tree: tree))
        #expect(!Policy.permits(admin, .manageStaff, in: .organisation(office), tree: tree))
        #expect(!Policy.permits(admin, .manageStaff, in: .organisation(municipality), tree: tree))
        #expect(!Policy.permits(admin, .manageOrganisation, in: .platform, tree: tree))
    }

    @Test func platformAdminReachesEverything() {
        let admin = actor(Grant(role: .admin, organisationID: nil))
        for org in [office, departmentB, municipality, partner] {
            #expect(Policy.permits(admin, .manageOrganisation, in: .organisation(org), tree: tree))
        }
        #expect(Policy.permits(admin, .manageOrganisation, in: .platform, tree: tree))
        #expect(Policy.permits(admin, .viewCitizens, in: .platform, tree: tree))
    }

    @Test func platformWideGrantOfAnOrganisationBoundRoleGivesNothing() {
        let coordinator = actor(Grant(role: .coordinator, organisationID: nil))
        #expect(!Policy.permits(coordinator, .viewStaff, in: .organisation(office), tree: tree))
    }

    @Test func coordinatorSeesOwnStaffButNotSubordinates() {
        let coordinator = actor(Grant(role: .coordinator, organisationID: departmentA))
        #expect(Policy.permits(coordinator, .viewStaff, in: .organisation(departmentA), tree: tree))
        #expect(!Policy.permits(coordinator, .viewStaff, in: .organisation(subDepartment), tree: tree))
        #expect(!Policy.permits(coordinator, .manageStaff, in: .organisation(departmentA), tree: tree))
    }

    @Test func citizenIsPermittedNothingOfStaff() {
        let citizen = actor(Grant(role: .citizen, organisationID: nil))
        for action in Action.allCases {
            #expect(!Policy.permits(citizen, action, in: .platform, tree: tree))
            #expect(!Policy.permits(citizen, action, in: .organisation(office), tree: tree))
        }
        #expect(!Policy.permitsAnywhere(citizen, .viewOrganisations, tree: tree))
    }

    @Test func rolesAreAssignedOnlyWithinReach() {
        let admin = actor(Grant(role: .admin, organisationID: departmentA))
        let colleague = [Grant(role: .operator, organisationID: departmentA)]
        #expect(Policy.mayAssign(Grant(role: .executor, organisationID: subDepartment), to: colleague, actor: admin, tree: tree))
        #expect(!Policy.mayAssign(Grant(role: .executor, organisationID: departmentB), to: colleague, actor: admin, tree: tree))
        #expect(!Policy.mayAssign(Grant(role: .admin, organisationID: nil), to: colleague, actor: admin, tree: tree))
        #expect(!Policy.mayAssign(Grant(role: .citizen, organisationID: departmentA), to: colleague, actor: admin, tree: tree))
        let root = actor(Grant(role: .admin, organisationID: nil))
        #expect(Policy.mayAssign(Grant(role: .curator, organisationID: nil), to: [], actor: root, tree: tree))
        #expect(!Policy.mayAssign(Grant(role: .executor, organisationID: nil), to: [], actor: root, tree: tree))
    }

    @Test func organisationAdminCannotPullOutsidersIntoTheirOrganisation() {
        let admin = actor(Grant(role: .admin, organisationID: departmentA))
        let grant = Grant(role: .executor, organisationID: departmentA)
        let citizen = [Grant(role: .citizen, organisationID: nil)]
        let elsewhere = [Grant(role: .executor, organisationID: municipality)]
        #expect(!Policy.mayAssign(grant, to: citizen, actor: admin, tree: tree))
        #expect(!Policy.mayAssign(grant, to: elsewhere, actor: admin, tree: tree))
        #expect(!Policy.mayAssign(grant, to: [], actor: admin, tree: tree))
        #expect(Policy.mayAssign(grant, to: citizen, actor: actor(Grant(role: .admin, organisationID: nil)), tree: tree))
    }

    @Test func rolesInADeactivatedOrganisationGrantNothing() {
        let closed = OrganisationTree(
            parents: [(office, nil), (departmentA, office)], inactive: [departmentA])
        let admin = actor(Grant(role: .admin, organisationID: departmentA))
        #expect(!Policy.permits(admin, .manageStaff, in: .organisation(departmentA), tree: closed))
        let regional = actor(Grant(role: .admin, organisationID: office))
        #expect(Policy.permits(regional, .manageStaff, in: .organisation(departmentA), tree: closed))
    }

    @Test func treeRefusesCyclesAndListsDescendants() {
        #expect(tree.wouldCreateCycle(moving: departmentA, under: subDepartment))
        #expect(tree.wouldCreateCycle(moving: departmentA, under: departmentA))
        #expect(!tree.wouldCreateCycle(moving: subDepartment, under: departmentB))
        #expect(tree.descendants(of: office) == [departmentA, subDepartment, departmentB])
        let looped = OrganisationTree(parents: [(office, departmentA), (departmentA, office)])
        #expect(looped.lineage(of: office).count == 2)
    }
}

extension PolicyTests {
    @Test func statisticsReachFollowsTheTreeAndTheRegionalOffice() {
        let coordinator = actor(Grant(role: .coordinator, organisationID: departmentA))
        #expect(StatisticsAccess.reach(coordinator, tree: tree, regionWide: [office]) == .organisations([departmentA, subDepartment]))
        #expect(StatisticsAccess.scope(.organisations([departmentA, subDepartment]), asking: subDepartment, tree: tree)
            == .organisations([subDepartment]))
        #expect(StatisticsAccess.scope(.organisations([departmentA, subDepartment]), asking: departmentB, tree: tree) == nil)
        let officeStaff = actor(Grant(role: .executor, organisationID: office))
        #expect(StatisticsAccess.reach(officeStaff, tree: tree, regionWide: [office]) == .region)
        #expect(StatisticsAccess.reach(actor(Grant(role: .curator, organisationID: nil)), tree: tree, regionWide: []) == .region)
        #expect(StatisticsAccess.reach(actor(Grant(role: .citizen, organisationID: nil)), tree: tree, regionWide: [office]) == .none)
        #expect(StatisticsAccess.scope(.region, asking: UUID(), tree: tree) == nil)
        #expect(StatisticsAccess.scope(.region, asking: departmentA, tree: tree) == .organisations([departmentA, subDepartment]))
    }
}
