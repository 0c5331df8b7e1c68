import Domain
import Fluent
import SQLKit
import Foundation
import Vapor

/// Reading and replacing the classifier. An import is all or nothing: validated first, then applied
/// in one transaction — new codes created, changed ones updated (with a new version), codes missing
/// from the file retired (appeals keep pointing at them) — and every change written to the history.
enum ClassifierService {
    struct ImportReport: Content, Equatable {
        var categoriesCreated = 0
        var categoriesUpdated = 0
        var categoriesRetired = 0
        var subcategoriesCreated = 0
        var subcategoriesUpdated = 0
        var subcategoriesRetired = 0
        var unchanged = 0
    }

    /// The shipped classifier (Resources/Classifier/classifier.json).
    static func shippedFile(_ app: Application) -> URL {
        URL(fileURLWithPath: app.directory.resourcesDirectory).appendingPathComponent("Classifier/classifier.json")
    }

    /// Loads the shipped classifier into an empty database; leaves an existing one alone.
    static func loadShippedIfEmpty(_ app: Application) async throws {
        guard try await Category.query(on: app.db).count() == 0 else { return }
        let data = try Data(contentsOf: shippedFile(app))
        let spec = try ClassifierJSON.parse(data)
        let report = try await apply(spec, source: "shipped", userID: nil, on: app.db, now: app.clock.now())
        app.logger.notice(
            "Classifier loaded: \(report.categoriesCreated) categories, \(report.subcategoriesCreated) subcategories")
    }

    /// The classifier as it stands (retired items left out), in file order.
    /// A subcategory open for filing: it and its category are not retired; nil otherwise.
    static func openSubcategory(_ code: String, on db: any Database) async throws -> Subcategory? {
        guard let subcategory = try await Subcategory.query(on: db).filter(\.$code == code).filter(\.$isRetired == false)
            .with(\.$category).first(), !subcategory.category.isRetired
        else { return nil }
        return subcategory
    }

    static func current(on db: any Database) async throws -> ClassifierSpec {
        let categories = try await Category.query(on: db).filter(\.$isRetired == false).sort(\.$position).all()
        let subcategories = try await Subcategory.query(on: db).filter(\.$isRetired == false).sort(\.$position).all()
        let byCategory = Dictionary(grouping: subcategories, by: { $0.$category.id })
        return ClassifierSpec(categories: categories.map { category in
            CategorySpec(
                code: category.code, name: category.name, sphere: category.sphere,
                subcategories: (category.id.flatMap { byCategory[$0] } ?? []).map(\.spec))
        })
    }

    static func apply(
        _ spec: ClassifierSpec, source: String, userID: UUID?, on db: any Database, now: Date
    ) async throws -> ImportReport {
        try await db.transaction { db in
            try await lock(db)
            var report = ImportReport()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            func json<T: Encodable>(_ value: T) -> String {
                String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
            }
            // New rows and history are inserted in batches: a first load writes ~500 rows.
            var history: [ClassifierChange] = []
            var newCategories: [Category] = []
            var newSubcategories: [Subcategory] = []
            func record(_ kind: ClassifierChange.ItemKind, _ code: String, _ action: ClassifierChange.Action,
                        before: String?, after: String?) async throws {
                let change = ClassifierChange()
                change.itemKind = kind
                change.code = code
                change.action = action
                change.before = before
                change.after = after
                change.userID = userID
                change.source = source
                change.at = now
                history.append(change)
            }
            struct CategoryState: Encodable { var name: String; var sphere: String? }

            let existingCategories = Dictionary(
                uniqueKeysWithValues: try await Category.query(on: db).all().map { ($0.code, $0) })
            let existingSubcategories = Dictionary(
                uniqueKeysWithValues: try await Subcategory.query(on: db).all().map { ($0.code, $0) })
            var seenCategories: Set<String> = []
            var seenSubcategories: Set<String> = []

            for (position, item) in spec.categories.enumerated() {
                seenCategories.insert(item.code)
                let category: Category
                if let found = existingCategories[item.code] {
                    category = found
                    let before = CategoryState(name: found.name, sphere: found.sphere)
                    let after = CategoryState(name: item.name, sphere: item.sphere)
                    let changed = json(before) != json(after) || found.isRetired
                    if changed || found.position != position {
                        found.name = item.name
                        found.sphere = item.sphere
                        found.position = position
                        let restored = found.isRetired
                        found.isRetired = false
                        try await found.update(on: db)
                        if changed {
                            report.categoriesUpdated += 1
                            try await record(.category, item.code, restored ? .restored : .updated,
                                             before: json(before), after: json(after))
                        }
                    } else {
                        report.unchanged += 1
                    }
                } else {
                    category = Category()
                    category.id = UUID()
                    category.code = item.code
                    category.name = item.name
                    category.sphere = item.sphere
                    category.position = position
                    category.isRetired = false
                    newCategories.append(category)
                    report.categoriesCreated += 1
                    try await record(.category, item.code, .created, before: nil,
                                     after: json(CategoryState(name: item.name, sphere: item.sphere)))
                }
                let categoryID = try category.requireID()
                for (subPosition, subItem) in item.subcategories.enumerated() {
                    seenSubcategories.insert(subItem.code)
                    if let found = existingSubcategories[subItem.code] {
                        let before = found.spec
                        let moved = found.$category.id != categoryID
                        if before != subItem || moved || found.isRetired {
                            let restored = found.isRetired
                            found.apply(subItem)
                            found.$category.id = categoryID
                            found.position = subPosition
                            found.isRetired = false
                            found.version += 1
                            try await found.update(on: db)
                            report.subcategoriesUpdated += 1
                            try await record(.subcategory, subItem.code, restored ? .restored : .updated,
                                             before: json(before), after: json(subItem))
                        } else {
                            if found.position != subPosition {
                                found.position = subPosition
                                try await found.update(on: db)
                            }
                            report.unchanged += 1
                        }
                    } else {
                        let subcategory = Subcategory()
                        subcategory.apply(subItem)
                        subcategory.$category.id = categoryID
                        subcategory.position = subPosition
                        subcategory.isRetired = false
                        subcategory.version = 1
                        newSubcategories.append(subcategory)
                        report.subcategoriesCreated += 1
                        try await record(.subcategory, subItem.code, .created, before: nil, after: json(subItem))
                    }
                }
            }
            for (code, subcategory) in existingSubcategories where !seenSubcategories.contains(code) && !subcategory.isRetired {
                subcategory.isRetired = true
                try await subcategory.update(on: db)
                report.subcategoriesRetired += 1
                try await record(.subcategory, code, .retired, before: json(subcategory.spec), after: nil)
            }
            for (code, category) in existingCategories where !seenCategories.contains(code) && !category.isRetired {
                category.isRetired = true
                try await category.update(on: db)
                report.categoriesRetired += 1
                try await record(.category, code, .retired,
                                 before: json(CategoryState(name: category.name, sphere: category.sphere)), after: nil)
            }
            if !newCategories.isEmpty { try await newCategories.create(on: db) }
            for chunk in newSubcategories.chunked(by: 100) { try await chunk.create(on: db) }
            for chunk in history.chunked(by: 100) { try await chunk.create(on: db) }
            return report
        }
    }

    /// Changes to the classifier take turns: each reads the whole of it and writes back the
    /// difference, so two at once on PostgreSQL (read committed) could undo each other. SQLite has a
    /// single writer already.
    private static func lock(_ db: any Database) async throws {
        guard let sql = db as? any SQLDatabase, sql.dialect.name == "postgresql" else { return }
        try await sql.raw("SELECT pg_advisory_xact_lock(\(literal: 3_400_001))").run()
    }

    /// One subcategory as the admin form edits it.
    struct SubcategoryEdit {
        var item: SubcategorySpec
        var categoryCode: String
        var retired: Bool
    }

    /// One subcategory changed through the admin form: the classifier as it stands with this item
    /// replaced (or added, moved to another category, retired, restored), checked like a file and
    /// applied like an import, so it gets the same history and version. `originalCode` is nil for a
    /// new item. The classifier is read and written in one transaction, so a concurrent edit of
    /// another item is not undone.
    static func save(_ edit: SubcategoryEdit, originalCode: String?, version: Int?, on request: Request) async throws
        -> ImportReport
    {
        try await request.authorize(.manageClassifier, in: .platform)
        let actor = try await request.requireActor()
        let now = request.now
        let report = try await request.db.transaction { db in
            try await lock(db)
            if let originalCode, let version,
                try await Subcategory.query(on: db).filter(\.$code == originalCode).first()?.version != version
            {
                throw ClassifierImportFailure([ClassifierIssue(line: nil, path: "version", code: .staleVersion)])
            }
            if originalCode == nil, try await Subcategory.query(on: db).filter(\.$code == edit.item.code).count() > 0 {
                throw ClassifierImportFailure([ClassifierIssue(line: nil, path: "code", code: .duplicateCode, value: edit.item.code)])
            }
            var spec = try await current(on: db)
            let code = originalCode ?? edit.item.code
            var formerPlace: (category: Int, index: Int)?
            for ci in spec.categories.indices {
                if let si = spec.categories[ci].subcategories.firstIndex(where: { $0.code == code }) {
                    formerPlace = (ci, si)
                    spec.categories[ci].subcategories.remove(at: si)
                }
            }
            if !edit.retired {
                guard let ci = spec.categories.firstIndex(where: { $0.code == edit.categoryCode }) else {
                    throw ClassifierImportFailure([
                        ClassifierIssue(line: nil, path: "categoryCode", code: .inconsistentCategory, value: edit.categoryCode)
                    ])
                }
                if let formerPlace, formerPlace.category == ci {
                    spec.categories[ci].subcategories.insert(edit.item, at: formerPlace.index)
                } else {
                    spec.categories[ci].subcategories.append(edit.item)
                }
            }
            let issues = ClassifierValidation.validate(spec)
            guard issues.isEmpty else { throw ClassifierImportFailure(issues) }
            return try await apply(spec, source: "form", userID: actor.userID, on: db, now: now)
        }
        await reindexTopics(request)
        return report
    }

    /// Keeps the portal's topic search in step with the classifier; a failure only delays it until
    /// the next change or start.
    static func reindexTopics(_ request: Request) async {
        do {
            try await SearchIndex.reindexTopics(on: request.db, now: request.now)
        } catch {
            request.logger.warning("Topics were not re-indexed for search: \(String(reflecting: error))")
        }
    }

    /// Parses an uploaded file by format and applies it; parse and validation problems come back as
    /// `ClassifierImportFailure` with nothing applied.
    static func importFile(_ data: Data, format: ClassifierFormat, on request: Request) async throws -> ImportReport {
        try await request.authorize(.manageClassifier, in: .platform)
        let spec = try format.parse(data)
        let actor = try await request.requireActor()
        let report = try await apply(spec, source: "import:\(format.rawValue)", userID: actor.userID, on: request.db, now: request.now)
        await reindexTopics(request)
        return report
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements (bulk inserts stay under bind-parameter limits).
    func chunked(by size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
