import Domain
import Fluent
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

    /// The territory and its ancestors.
    static func lineage(of territory: UUID, on db: any Database) async throws -> [UUID] {
        try await TerritoryService.lineage(of: territory, on: db)
    }

    static func resolve(subcategoryCode: String, territoryID: UUID, on db: any Database) async throws -> Routing.Resolution {
        guard let subcategory = try await Subcategory.query(on: db).filter(\.$code == subcategoryCode).with(\.$category).first()
        else { return .none }
        return Routing.resolve(
            subcategory: subcategory.code, category: subcategory.category.code,
            territoryLineage: try await lineage(of: territoryID, on: db), rules: try await rules(on: db))
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
        return row
    }

    static func delete(_ id: UUID, on request: Request) async throws {
        try await request.authorize(.manageClassifier, in: .platform)
        guard let row = try await RoutingRuleRow.find(id, on: request.db) else { throw AppError.notFound }
        try await row.delete(on: request.db)
    }
}
