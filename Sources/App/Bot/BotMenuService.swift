import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

final class BotMenuItem: Model, @unchecked Sendable {
    static let schema = "bot_menu_items"

    @ID(key: .id) var id: UUID?
    @OptionalField(key: "parent_id") var parentID: UUID?
    @Field(key: "title") var title: String
    @OptionalField(key: "answer") var answer: String?
    @OptionalField(key: "url") var url: String?
    @Field(key: "position") var position: Int
    @OptionalField(key: "updated_by") var updatedBy: UUID?
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

/// The bot's menu: read as a tree by the chat window, edited by specialists, first filled from the FAQ
/// (each sphere → its questions → the answers, plus the claim builder).
enum BotMenuService {
    struct Node: Content {
        var id: UUID
        var title: String
        var answer: String?
        var url: String?
        var position: Int
        var children: [Node]
    }

    struct Tree: Content {
        var items: [Node]
    }

    static func tree(on db: any Database) async throws -> Tree {
        let items = try await BotMenuItem.query(on: db).sort(\.$position).sort(\.$title).all()
        let byParent = Dictionary(grouping: items, by: \.parentID)
        func nodes(_ parent: UUID?) -> [Node] {
            (byParent[parent] ?? []).compactMap { item in
                item.id.map { Node(id: $0, title: item.title, answer: item.answer, url: item.url, position: item.position, children: nodes($0)) }
            }
        }
        return Tree(items: nodes(nil))
    }

    /// An empty menu gets one made from the published FAQ.
    static func seedIfEmpty(on db: any Database, now: Date) async throws {
        guard try await BotMenuItem.query(on: db).count() == 0 else { return }
        let spheres = try await Sphere.query(on: db).sort(\.$position).all()
        let entries = try await FAQEntry.query(on: db).filter(\.$status == ArticleStatus.published.rawValue).sort(\.$question).all()
        guard !entries.isEmpty else { return }
        let bySphere = Dictionary(grouping: entries, by: \.sphere)
        try await db.transaction { db in
            for (index, sphere) in spheres.enumerated() {
                guard let questions = bySphere[sphere.code], !questions.isEmpty else { continue }
                let step = item(parent: nil, title: sphere.name, answer: nil, url: nil, position: index, now: now)
                try await step.create(on: db)
                for (position, entry) in questions.prefix(8).enumerated() {
                    let answer = String(Markdown.plainText(entry.answer).prefix(BotMenu.maxAnswer))
                    try await item(parent: step.id, title: entry.question, answer: answer, url: entry.url, position: position, now: now).create(on: db)
                }
                try await item(
                    parent: step.id, title: "Составить претензию",
                    answer: "Претензию продавцу или исполнителю можно составить здесь же: выберите образец, заполните поля — документ готов.",
                    url: "/claims", position: 100, now: now
                ).create(on: db)
            }
        }
    }

    private static func item(parent: UUID?, title: String, answer: String?, url: String?, position: Int, now: Date) -> BotMenuItem {
        let item = BotMenuItem()
        item.id = UUID()
        item.parentID = parent
        item.title = title
        item.answer = answer
        item.url = url
        item.position = position
        item.updatedAt = now
        return item
    }

    struct Input: Content {
        var parentId: String?
        var title: String?
        var answer: String?
        var url: String?
        var position: Int?
    }

    /// Adds (`id` nil) or changes an item after `BotMenu.check`.
    @discardableResult
    static func save(_ id: UUID?, _ input: Input, by user: UUID, on db: any Database, now: Date) async throws -> UUID {
        var parent: UUID?
        if let raw = input.parentId?.nonBlank {
            guard let parsed = UUID(uuidString: raw) else { throw ValidationFailure([FieldError("parentId", .invalidValue)]) }
            parent = parsed
        }
        let all = try await BotMenuItem.query(on: db).all().compactMap { item in item.id.map { BotMenu.Item(id: $0, parentID: item.parentID) } }
        let errors = BotMenu.check(id: id, title: input.title, answer: input.answer?.nonBlank, url: input.url?.nonBlank, parentID: parent, items: all)
        if !errors.isEmpty { throw ValidationFailure(errors) }
        let item: BotMenuItem
        if let id {
            guard let existing = try await BotMenuItem.find(id, on: db) else { throw AppError.notFound }
            item = existing
        } else {
            item = BotMenuItem()
            item.id = UUID()
            item.position = 0
        }
        item.parentID = parent
        item.title = input.title?.trimmingWhitespace() ?? ""
        item.answer = input.answer?.nonBlank?.trimmingWhitespace()
        item.url = input.url?.nonBlank?.trimmingWhitespace()
        item.position = input.position ?? item.position
        item.updatedBy = user
        item.updatedAt = now
        try await item.save(on: db)
        return try item.requireID()
    }

    static func delete(_ id: UUID, on db: any Database) async throws {
        guard let item = try await BotMenuItem.find(id, on: db) else { throw AppError.notFound }
        // Children go with it (the foreign key cascades; deleted explicitly for SQLite without foreign keys on).
        var doomed = [id]
        var frontier = [id]
        while !frontier.isEmpty {
            let children = try await BotMenuItem.query(on: db).filter(\.$parentID ~~ frontier).all().compactMap(\.id)
            doomed += children
            frontier = children
        }
        try await BotMenuItem.query(on: db).filter(\.$id ~~ doomed).delete()
        _ = item
    }

    // MARK: Synonyms

    struct SynonymGroup: Content {
        var id: UUID
        var words: [String]
    }

    static func synonyms(on db: any Database) async throws -> [SynonymGroup] {
        guard let sql = db as? any SQLDatabase else { return [] }
        return try await sql.select().columns("id", "words").from("bot_synonyms").orderBy("created_at").all().map {
            SynonymGroup(
                id: try $0.decode(column: "id", as: UUID.self),
                words: try $0.decode(column: "words", as: String.self).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
    }

    /// «Words that mean the same to the bot»: two or more, comma-separated.
    static func addSynonyms(_ raw: String?, app: Application, now: Date) async throws {
        let words = (raw ?? "").split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == ";" })
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        var unique: [String] = []
        for word in words where !unique.contains(word) { unique.append(word) }
        guard unique.count >= 2 else { throw ValidationFailure([FieldError("words", .invalidValue)]) }
        guard unique.count <= 20, unique.allSatisfy({ $0.count <= 60 }) else { throw ValidationFailure([FieldError("words", .tooLong)]) }
        guard let sql = app.db as? any SQLDatabase else { return }
        try await sql.insert(into: "bot_synonyms").columns("id", "words", "created_at")
            .values(SQLBind(UUID()), SQLBind(unique.joined(separator: ", ")), SQLBind(now)).run()
        app.botCache.invalidate()
    }

    static func deleteSynonyms(_ id: UUID, app: Application) async throws {
        guard let sql = app.db as? any SQLDatabase else { return }
        let gone = try await sql.raw("DELETE FROM bot_synonyms WHERE id = \(bind: id) RETURNING id").all()
        if gone.isEmpty { throw AppError.notFound }
        app.botCache.invalidate()
    }
}
