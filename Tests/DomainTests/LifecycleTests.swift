import Foundation
import Testing

@testable import Domain

@Suite("Appeal lifecycle")
struct LifecycleTests {
    @Test func theHappyPathIsAllowedToTheRightRoles() throws {
        let path: [(AppealTransition, AppealStatus, Role, AppealStatus)] = [
            (.assign, .coordination, .coordinator, .inWork),
            (.take, .inWork, .executor, .inWork),
            (.postpone, .inWork, .executor, .postponed),
            (.resume, .postponed, .executor, .inWork),
            (.submitAnswer, .inWork, .executor, .answerReview),
            (.returnAnswer, .answerReview, .manager, .inWork),
            (.submitAnswer, .inWork, .executor, .answerReview),
            (.approve, .answerReview, .manager, .answered),
            (.rate, .answered, .citizen, .closed),
            (.curatorReturn, .closed, .curator, .inWork),
        ]
        for (transition, from, role, to) in path {
            try Lifecycle.check(transition, from: from, roles: [role])
            #expect(transition.target(from: from) == to, "\(transition)")
        }
    }

    @Test func illegalTransitionsAreRefusedWithTheReason() {
        #expect(throws: LifecycleRefusal.wrongState(.approve, .inWork)) {
            try Lifecycle.check(.approve, from: .inWork, roles: [.manager])
        }
        #expect(throws: LifecycleRefusal.notPermitted(.approve)) {
            try Lifecycle.check(.approve, from: .answerReview, roles: [.executor, .coordinator])
        }
        #expect(throws: LifecycleRefusal.wrongState(.assign, .moderation)) {
            try Lifecycle.check(.assign, from: .moderation, roles: [.coordinator])
        }
        #expect(throws: LifecycleRefusal.wrongState(.rate, .closed)) {
            try Lifecycle.check(.rate, from: .closed, roles: [.citizen])
        }
        // A rejected appeal is final for everyone.
        for transition in AppealTransition.allCases {
            #expect(throws: LifecycleRefusal.self) { try Lifecycle.check(transition, from: .rejected, roles: Set(Role.allCases)) }
        }
        #expect(LifecycleRefusal.notAssignee.reason.contains("another executor"))
    }

    @Test func everyOpenAppealIsInExactlyOneFolder() {
        #expect(WorkspaceFolder.of(status: .moderation, returned: nil) == nil)
        #expect(WorkspaceFolder.of(status: .rejected, returned: nil) == nil)
        #expect(WorkspaceFolder.of(status: .coordination, returned: nil) == .new)
        #expect(WorkspaceFolder.of(status: .coordination, returned: .fromOrganisation) == .returnedFrom)
        #expect(WorkspaceFolder.of(status: .inWork, returned: nil) == .inWork)
        #expect(WorkspaceFolder.of(status: .inWork, returned: .withinOrganisation) == .returnedWithin)
        #expect(WorkspaceFolder.of(status: .postponed, returned: .withinOrganisation) == .postponed)
        #expect(WorkspaceFolder.of(status: .answerReview, returned: nil) == .answerPrepared)
        #expect(WorkspaceFolder.of(status: .answered, returned: nil) == .done)
        #expect(WorkspaceFolder.of(status: .closed, returned: nil) == .done)
    }

    @Test func theStageFollowsTheTree() {
        let region = UUID(), department = UUID(), city = UUID(), ngo = UUID()
        let tree = OrganisationTree(parents: [(region, nil), (department, region), (city, nil), (ngo, nil)])
        #expect(AppealStage.of(sender: region, receiver: department, tree: tree) == .fromHigher)
        #expect(AppealStage.of(sender: department, receiver: region, tree: tree) == .fromLower)
        #expect(AppealStage.of(sender: department, receiver: city, tree: tree) == .fromNonSubordinate)
        #expect(AppealStage.of(sender: ngo, receiver: region, tree: tree) == .fromNonSubordinate)
    }

    @Test func theExtensionIsAtMostThirtyCalendarDaysWithAReason() throws {
        let calendar = CalendarTests.calendar
        // Due at the end of 26.06.2026; +30 calendar days → 26.07.2026 is a Sunday → Monday 27.07.
        let due = calendar.due(from: calendar.start(of: LocalDate(2026, 5, 27)), days: 30, type: .calendar)
        #expect(calendar.localDate(of: due) == LocalDate(2026, 6, 26))
        let extended = try ProcessingTerms.extendedDue(due, days: 30, reason: "запрос в другой орган", calendar: calendar)
        #expect(calendar.localDate(of: extended) == LocalDate(2026, 7, 27))
        #expect(throws: ProcessingTerms.ExtensionProblem.daysOutOfRange) {
            try ProcessingTerms.extendedDue(due, days: 31, reason: "x", calendar: calendar)
        }
        #expect(throws: ProcessingTerms.ExtensionProblem.daysOutOfRange) {
            try ProcessingTerms.extendedDue(due, days: 0, reason: "x", calendar: calendar)
        }
        #expect(throws: ProcessingTerms.ExtensionProblem.reasonRequired) {
            try ProcessingTerms.extendedDue(due, days: 10, reason: "  ", calendar: calendar)
        }
        #expect(throws: ProcessingTerms.ExtensionProblem.daysRequired) {
            try ProcessingTerms.extendedDue(due, days: nil, reason: "x", calendar: calendar)
        }
    }

    @Test func theRedirectWindowIsSevenDaysAndPostponingNeverPassesTheDeadline() throws {
        let calendar = CalendarTests.calendar
        // Registered Friday 1 May 2026 (a holiday); 7 calendar days end on Friday 8 May.
        let registered = calendar.start(of: LocalDate(2026, 5, 1)).addingTimeInterval(10 * 3600)
        #expect(calendar.localDate(of: ProcessingTerms.redirectDue(registeredAt: registered, calendar: calendar)) == LocalDate(2026, 5, 8))

        let today = LocalDate(2026, 6, 1), due = LocalDate(2026, 6, 26)
        try ProcessingTerms.checkPostpone(until: LocalDate(2026, 6, 10), reason: "ждём документы", today: today, dueDay: due)
        try ProcessingTerms.checkPostpone(until: due, reason: "ждём документы", today: today, dueDay: due)
        #expect(throws: ProcessingTerms.PostponeProblem.dateBeyondDeadline) {
            try ProcessingTerms.checkPostpone(until: LocalDate(2026, 6, 27), reason: "x", today: today, dueDay: due)
        }
        #expect(throws: ProcessingTerms.PostponeProblem.dateNotAhead) {
            try ProcessingTerms.checkPostpone(until: today, reason: "x", today: today, dueDay: due)
        }
        #expect(throws: ProcessingTerms.PostponeProblem.reasonRequired) {
            try ProcessingTerms.checkPostpone(until: LocalDate(2026, 6, 10), reason: nil, today: today, dueDay: due)
        }
        #expect(throws: ProcessingTerms.PostponeProblem.dateRequired) {
            try ProcessingTerms.checkPostpone(until: nil, reason: "x", today: today, dueDay: due)
        }
    }
}

@Suite("Fair load")
struct FairLoadTests {
    @Test func aHundredAppealsOverFourPresentExecutorsDifferByAtMostOne() {
        var people = (0..<4).map { _ in LoadCandidate(userID: UUID()) }
        let absent = LoadCandidate(userID: UUID(), present: false)
        var given: [UserID: Int] = [:]
        var clock = Date(timeIntervalSince1970: 1_780_000_000)
        for _ in 0..<100 {
            let chosen = FairLoad.pick(people + [absent], sphere: "trade", territoryLineage: [])!
            given[chosen.userID, default: 0] += 1
            let index = people.firstIndex { $0.userID == chosen.userID }!
            people[index].contactsToday += 1
            people[index].lastAssignedAt = clock
            clock.addTimeInterval(1)
        }
        let counts = people.map { given[$0.userID] ?? 0 }
        #expect(counts.reduce(0, +) == 100)
        #expect(counts.max()! - counts.min()! <= 1)
        #expect(given[absent.userID] == nil)
    }

    @Test func tiesGoToTheLongestIdleAndLimitsAreRespected() {
        let early = Date(timeIntervalSince1970: 1000), late = Date(timeIntervalSince1970: 2000)
        let a = LoadCandidate(userID: UUID(), contactsToday: 3, lastAssignedAt: late)
        let b = LoadCandidate(userID: UUID(), contactsToday: 3, lastAssignedAt: early)
        let c = LoadCandidate(userID: UUID(), contactsToday: 4, lastAssignedAt: nil)
        #expect(FairLoad.pick([a, b, c], sphere: nil, territoryLineage: [])?.userID == b.userID)
        let never = LoadCandidate(userID: UUID(), contactsToday: 3, lastAssignedAt: nil)
        #expect(FairLoad.pick([a, b, never], sphere: nil, territoryLineage: [])?.userID == never.userID)
        // Full, wrong sphere, wrong territory: nobody.
        let district = UUID(), settlement = UUID(), elsewhere = UUID()
        let full = LoadCandidate(userID: UUID(), open: 5, capacity: 5)
        let banker = LoadCandidate(userID: UUID(), spheres: ["finance"])
        let remote = LoadCandidate(userID: UUID(), territories: [elsewhere])
        #expect(FairLoad.pick([full, banker, remote], sphere: "trade", territoryLineage: [settlement, district]) == nil)
        // A specialist for the district covers its settlements.
        let local = LoadCandidate(userID: UUID(), spheres: ["trade"], territories: [district])
        #expect(FairLoad.pick([full, banker, remote, local], sphere: "trade", territoryLineage: [settlement, district])?.userID == local.userID)
    }

    @Test func theMostSpecificAutoRuleWins() {
        let district = UUID(), settlement = UUID(), ivanova = UUID(), petrov = UUID()
        let rules = [
            AssignmentRule(categoryCode: "trade", target: .pool),
            AssignmentRule(subcategoryCode: "trade.refund", target: .person(ivanova)),
            AssignmentRule(subcategoryCode: "trade.refund", territoryID: district, target: .person(petrov)),
        ]
        #expect(AssignmentRule.match(rules, subcategory: "trade.refund", category: "trade", territoryLineage: [settlement, district])?.target == .person(petrov))
        #expect(AssignmentRule.match(rules, subcategory: "trade.refund", category: "trade", territoryLineage: [UUID()])?.target == .person(ivanova))
        #expect(AssignmentRule.match(rules, subcategory: "trade.other", category: "trade", territoryLineage: [])?.target == .pool)
        #expect(AssignmentRule.match(rules, subcategory: "housing.x", category: "housing", territoryLineage: []) == nil)
    }
}
