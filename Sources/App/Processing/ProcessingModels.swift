import Domain
import Fluent
import Foundation

/// A specialist's availability for fair load in one organisation: present or away, how much they take
/// at once, which spheres and territories they handle, and today's contacts.
final class ExecutorProfile: Model, @unchecked Sendable {
    static let schema = "executor_profiles"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Parent(key: "organisation_id") var organisation: Organisation
    @Field(key: "present") var present: Bool
    @OptionalField(key: "capacity") var capacity: Int?
    @Field(key: "spheres") var spheresJSON: String
    @Field(key: "territories") var territoriesJSON: String
    /// The region's day `contactsToday` counts (ISO date); another day means zero.
    @OptionalField(key: "contacts_day") var contactsDay: String?
    @Field(key: "contacts_today") var contactsToday: Int
    @OptionalField(key: "last_assigned_at") var lastAssignedAt: Date?

    init() {}

    init(userID: UUID, organisationID: UUID) {
        self.$user.id = userID
        self.$organisation.id = organisationID
        self.present = true
        self.capacity = nil
        self.spheresJSON = "[]"
        self.territoriesJSON = "[]"
        self.contactsToday = 0
    }

    var spheres: Set<String> {
        get { Set((try? JSONDecoder().decode([String].self, from: Data(spheresJSON.utf8))) ?? []) }
        set { spheresJSON = String(decoding: (try? JSONEncoder().encode(newValue.sorted())) ?? Data("[]".utf8), as: UTF8.self) }
    }

    var territories: Set<UUID> {
        get { Set((try? JSONDecoder().decode([UUID].self, from: Data(territoriesJSON.utf8))) ?? []) }
        set {
            territoriesJSON = String(
                decoding: (try? JSONEncoder().encode(newValue.map(\.uuidString).sorted())) ?? Data("[]".utf8), as: UTF8.self)
        }
    }

    func contacts(on day: LocalDate) -> Int { contactsDay == day.description ? contactsToday : 0 }
}

/// A coordinator's auto-rule as stored: `executor_id` null means the organisation's pool (fair load).
final class AssignmentRuleRecord: Model, @unchecked Sendable {
    static let schema = "assignment_rules"

    @ID(key: .id) var id: UUID?
    @Parent(key: "organisation_id") var organisation: Organisation
    @OptionalField(key: "category_code") var categoryCode: String?
    @OptionalField(key: "subcategory_code") var subcategoryCode: String?
    @OptionalField(key: "territory_id") var territoryID: UUID?
    @OptionalField(key: "executor_id") var executorID: UUID?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    var rule: AssignmentRule {
        AssignmentRule(
            categoryCode: categoryCode, subcategoryCode: subcategoryCode, territoryID: territoryID,
            target: executorID.map { .person($0) } ?? .pool)
    }
}

/// A stored job's schedule (see `ScheduledJobs`); keyed by its name.
final class ScheduledJobRow: Model, @unchecked Sendable {
    static let schema = "scheduled_jobs"

    @ID(custom: "name", generatedBy: .user) var id: String?
    @Field(key: "next_run_at") var nextRunAt: Date
    @OptionalField(key: "locked_until") var lockedUntil: Date?
    @OptionalField(key: "locked_by") var lockedBy: String?
    @OptionalField(key: "last_run_at") var lastRunAt: Date?
    @OptionalField(key: "last_result") var lastResult: String?

    init() {}
}

extension Sequence {
    /// `map` with an async transform, in order.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
