import Domain
import Fluent
import NIOConcurrencyHelpers
import Vapor

/// A routing rule as stored. Category and subcategory are referred to by code, which survives a
/// classifier re-import.
final class RoutingRuleRow: Model, @unchecked Sendable {
    static let schema = "routing_rules"

    @ID(key: .id) var id: UUID?
    @Field(key: "key") var key: String
    @OptionalField(key: "category_code") var categoryCode: String?
    @OptionalField(key: "subcategory_code") var subcategoryCode: String?
    @OptionalParent(key: "territory_id") var territory: Territory?
    @Parent(key: "organisation_id") var organisation: Organisation
    @OptionalField(key: "created_by") var createdBy: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    convenience init(_ rule: RoutingRule, createdBy: UUID?) {
        self.init()
        key = rule.key
        categoryCode = rule.subcategoryCode == nil ? rule.categoryCode : nil
        subcategoryCode = rule.subcategoryCode
        $territory.id = rule.territoryID
        $organisation.id = rule.organisationID
        self.createdBy = createdBy
    }

    var rule: RoutingRule {
        RoutingRule(
            categoryCode: categoryCode, subcategoryCode: subcategoryCode, territoryID: $territory.id,
            organisationID: $organisation.id)
    }
}

struct RoutingRuleInput: Content {
    var categoryCode: String?
    var subcategoryCode: String?
    var territoryId: String?
    var organisationId: String?
}

/// Routing: which organisation an appeal goes to. One resolver, used by intake and by moderators.
enum RoutingService {
    static func rules(on db: any Database) async throws -> [RoutingRule] {
        try await RoutingRuleRow.query(on: db).all().map(\.rule)
    }

    static func resolve(subcategoryCode: String, territoryID: UUID, on request: Request) async throws -> Routing.Resolution {
        guard let subcategory = try await Subcategory.query(on: request.db).filter(\.$code == subcategoryCode)
            .with(\.$category).first()
        else { return .none }
        return try await resolve(subcategory, territoryID: territoryID, on: request)
    }

    /// `subcategory.category` must be loaded.
    static func resolve(_ subcategory: Subcategory, territoryID: UUID, on request: Request) async throws -> Routing.Resolution {
        let snapshot = try await request.application.routingCache.snapshot(on: request.db, now: request.now)
        return Routing.resolve(
            subcategory: subcategory.code, category: subcategory.category.code,
            territoryLineage: snapshot.lineage(of: territoryID), rules: snapshot.rules)
    }

    static func create(_ input: RoutingRuleInput, on request: Request) async throws -> RoutingRuleRow {
        try await request.authorize(.manageClassifier, in: .platform)
        let db = request.db
        var errors = FieldErrors()
        let subcategoryCode = input.subcategoryCode?.nonBlank
        var categoryCode = input.categoryCode?.nonBlank
        if let code = subcategoryCode {
            if let sub = try await Subcategory.query(on: db).filter(\.$code == code).with(\.$category).first() {
                if let given = categoryCode, given != sub.category.code { errors.add("categoryCode", .invalidValue) }
                categoryCode = nil
            } else {
                errors.add("subcategoryCode", .notFound)
            }
        } else if let code = categoryCode, try await Category.query(on: db).filter(\.$code == code).count() == 0 {
            errors.add("categoryCode", .notFound)
        }
        var territoryID: UUID?
        if let raw = input.territoryId?.nonBlank {
            territoryID = UUID(uuidString: raw)
            if try await territoryID.asyncFlatMap({ try await Territory.find($0, on: db) }) == nil {
                errors.add("territoryId", .notFound)
            }
        }
        let organisationID = input.organisationId?.nonBlank.flatMap(UUID.init(uuidString:))
        if input.organisationId?.nonBlank == nil {
            errors.add("organisationId", .required)
        } else if try await organisationID.asyncFlatMap({ try await Organisation.find($0, on: db) }) == nil {
            errors.add("organisationId", .notFound)
        }
        try errors.throwIfAny()
        let rule = RoutingRule(
            categoryCode: categoryCode, subcategoryCode: subcategoryCode, territoryID: territoryID,
            organisationID: organisationID!)
        if try await RoutingRuleRow.query(on: db).filter(\.$key == rule.key).count() > 0 {
            throw ValidationFailure([FieldError("territoryId", .taken)])
        }
        let row = RoutingRuleRow(rule, createdBy: try await request.requireActor().userID)
        do {
            try await row.create(on: db)
        } catch where error.isUniqueViolation {
            throw ValidationFailure([FieldError("territoryId", .taken)])
        }
        request.application.routingCache.invalidate()
        return row
    }

    static func delete(_ id: UUID, on request: Request) async throws {
        try await request.authorize(.manageClassifier, in: .platform)
        guard let row = try await RoutingRuleRow.find(id, on: request.db) else { throw AppError.notFound }
        try await row.delete(on: request.db)
        request.application.routingCache.invalidate()
    }
}

/// Routing rules and the territory tree, read by every submission and changed rarely, kept in
/// memory. A change made on this node is seen at once; one made on another node (several nodes on
/// one PostgreSQL) within `lifetime`.
final class RoutingCache: Sendable {
    struct Snapshot: Sendable {
        var rules: [RoutingRule]
        var parentOf: [UUID: UUID]
        var loadedAt: Date

        /// The territory and its ancestors.
        func lineage(of id: UUID) -> [UUID] {
            var result = [id]
            var current = id
            while let next = parentOf[current], !result.contains(next) {
                result.append(next)
                current = next
            }
            return result
        }
    }

    static let lifetime: TimeInterval = 5
    private let state = NIOLockedValueBox<(snapshot: Snapshot?, generation: Int)>((nil, 0))

    func snapshot(on db: any Database, now: Date) async throws -> Snapshot {
        let (cached, generation) = state.withLockedValue { ($0.snapshot, $0.generation) }
        if let cached, now.timeIntervalSince(cached.loadedAt) < Self.lifetime, cached.loadedAt <= now { return cached }
        let rules = try await RoutingService.rules(on: db)
        let territories = try await Territory.query(on: db).field(\.$id).field(\.$parent.$id).all()
        var parentOf: [UUID: UUID] = [:]
        for territory in territories {
            if let id = territory.id, let parent = territory.$parent.id { parentOf[id] = parent }
        }
        let fresh = Snapshot(rules: rules, parentOf: parentOf, loadedAt: now)
        // A change that happened while this was loading wins: keep the snapshot only if none did.
        state.withLockedValue { if $0.generation == generation { $0.snapshot = fresh } }
        return fresh
    }

    func invalidate() {
        state.withLockedValue {
            $0.snapshot = nil
            $0.generation += 1
        }
    }
}

extension Application {
    private struct RoutingCacheKey: StorageKey { typealias Value = RoutingCache }

    /// Set up once in `configure`, before any request can arrive.
    var routingCache: RoutingCache {
        get { configured(RoutingCacheKey.self) }
        set { storage[RoutingCacheKey.self] = newValue }
    }
}
