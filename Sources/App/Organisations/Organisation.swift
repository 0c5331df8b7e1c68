import Domain
import Fluent
import Foundation

/// An organisation of the region (product.md §2). Fluent models are reference types that Fluent
/// mutates in place; they are handed between tasks only by the request that loaded them, hence
/// `@unchecked Sendable`, as in the Vapor template.
final class Organisation: Model, @unchecked Sendable {
    static let schema = "organisations"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    @Field(key: "short_name") var shortName: String
    @Field(key: "kind") var kind: OrganisationKind
    @OptionalParent(key: "parent_id") var parent: Organisation?
    @OptionalField(key: "inn") var inn: String?
    @OptionalField(key: "email") var email: String?
    @OptionalField(key: "phone") var phone: String?
    @OptionalField(key: "address") var address: String?
    @Field(key: "is_active") var isActive: Bool
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    @Siblings(through: OrganisationTerritory.self, from: \.$organisation, to: \.$territory) var territories: [Territory]
    @Siblings(through: OrganisationSphere.self, from: \.$organisation, to: \.$sphere) var spheres: [Sphere]

    init() {}

    init(id: UUID? = nil, name: String, shortName: String, kind: OrganisationKind, parentID: UUID?) {
        self.id = id
        self.name = name
        self.shortName = shortName
        self.kind = kind
        self.$parent.id = parentID
        self.isActive = true
    }
}

final class Territory: Model, @unchecked Sendable {
    static let schema = "territories"

    @ID(key: .id) var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @Field(key: "kind") var kind: TerritoryKind
    @OptionalParent(key: "parent_id") var parent: Territory?
    /// The territory's centre: a point reported over Open311 is placed in the nearest one.
    @OptionalField(key: "latitude") var latitude: Double?
    @OptionalField(key: "longitude") var longitude: Double?
    /// Residents (editable at /stats/rating/settings): the municipal rating counts contacts per 10,000.
    @OptionalField(key: "population") var population: Int?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(id: UUID? = nil, code: String, name: String, kind: TerritoryKind, parentID: UUID?) {
        self.id = id
        self.code = code
        self.name = name
        self.kind = kind
        self.$parent.id = parentID
    }
}

final class Sphere: Model, @unchecked Sendable {
    static let schema = "spheres"

    @ID(key: .id) var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @Field(key: "position") var position: Int

    init() {}

    init(id: UUID? = nil, code: String, name: String, position: Int) {
        self.id = id
        self.code = code
        self.name = name
        self.position = position
    }
}

final class OrganisationTerritory: Model, @unchecked Sendable {
    static let schema = "organisation_territories"

    @ID(key: .id) var id: UUID?
    @Parent(key: "organisation_id") var organisation: Organisation
    @Parent(key: "territory_id") var territory: Territory

    init() {}
}

final class OrganisationSphere: Model, @unchecked Sendable {
    static let schema = "organisation_spheres"

    @ID(key: .id) var id: UUID?
    @Parent(key: "organisation_id") var organisation: Organisation
    @Parent(key: "sphere_id") var sphere: Sphere

    init() {}
}
