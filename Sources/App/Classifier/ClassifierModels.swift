import Domain
import Fluent
import Foundation
import Vapor

/// A category of the classifier. `@unchecked Sendable`: a Fluent model, owned by one request at a time.
final class Category: Model, @unchecked Sendable {
    static let schema = "categories"

    @ID(key: .id) var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @OptionalField(key: "sphere") var sphere: String?
    @Field(key: "position") var position: Int
    @Field(key: "is_retired") var isRetired: Bool
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    @Children(for: \.$category) var subcategories: [Subcategory]

    init() {}
}

/// A subcategory with its terms. `version` grows with every change, so an appeal can record which
/// terms it was filed under.
final class Subcategory: Model, @unchecked Sendable {
    static let schema = "subcategories"

    @ID(key: .id) var id: UUID?
    @Parent(key: "category_id") var category: Category
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @Field(key: "kind") var kind: AppealKind
    @Field(key: "answer_days") var answerDays: Int
    @Field(key: "day_type") var dayType: DayType
    @Field(key: "coordination_days") var coordinationDays: Int
    @Field(key: "moderation_days") var moderationDays: Int
    @Field(key: "fast_track") var fastTrack: Bool
    /// Keywords joined by `|` (searchable with LIKE on both engines).
    @Field(key: "keywords") var keywordsText: String
    /// The extra questions as JSON text.
    @Field(key: "questions") var questionsJSON: String
    @Field(key: "position") var position: Int
    @Field(key: "is_retired") var isRetired: Bool
    @Field(key: "version") var version: Int
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var questions: [ExtraQuestion] {
        (try? JSONDecoder().decode([ExtraQuestion].self, from: Data(questionsJSON.utf8))) ?? []
    }

    var keywords: [String] { keywordsText.split(separator: "|").map(String.init) }

    var spec: SubcategorySpec {
        SubcategorySpec(
            code: code, name: name, kind: kind, answerDays: answerDays, dayType: dayType,
            coordinationDays: coordinationDays, moderationDays: moderationDays, fastTrack: fastTrack,
            keywords: keywords, questions: questions)
    }

    func apply(_ spec: SubcategorySpec) {
        code = spec.code
        name = spec.name
        kind = spec.kind
        answerDays = spec.answerDays
        dayType = spec.dayType
        coordinationDays = spec.coordinationDays
        moderationDays = spec.moderationDays
        fastTrack = spec.fastTrack
        keywordsText = spec.keywords.joined(separator: "|")
        questionsJSON = Self.encode(spec.questions)
    }

    static func encode(_ questions: [ExtraQuestion]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(questions)) ?? Data("[]".utf8), as: UTF8.self)
    }
}

/// One change of the classifier: who, when, what it was and what it became.
final class ClassifierChange: Model, @unchecked Sendable {
    static let schema = "classifier_history"

    enum ItemKind: String, Codable, Sendable { case category, subcategory }
    enum Action: String, Codable, Sendable { case created, updated, retired, restored }

    @ID(key: .id) var id: UUID?
    @Field(key: "item_kind") var itemKind: ItemKind
    @Field(key: "code") var code: String
    @Field(key: "action") var action: Action
    @OptionalField(key: "before") var before: String?
    @OptionalField(key: "after") var after: String?
    @OptionalField(key: "user_id") var userID: UUID?
    @Field(key: "source") var source: String
    @Field(key: "at") var at: Date

    init() {}
}

/// The classifier file format is also the API's response body.
extension ClassifierSpec: Content {}
