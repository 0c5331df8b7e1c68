import Domain
import Fluent
import Foundation
import Vapor

/// `/admin/classifier/items`: add, edit, move, retire or restore one subcategory through a form,
/// with that item's own history. Everything goes through `ClassifierService.save`, the same checks
/// and history as a file import.
struct ClassifierItemController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let items = routes.grouped("admin", "classifier", "items")
        items.get("new", use: newForm)
        items.post(use: create)
        items.get(":code", use: edit)
        items.post(":code", use: update)
    }

    struct Form: Content {
        var code: String?
        var name: String?
        var categoryCode: String?
        var kind: String?
        var answerDays: String?
        var dayType: String?
        var coordinationDays: String?
        var moderationDays: String?
        var fastTrack: String?
        var keywords: String?
        var retired: String?
        var version: Int?
    }

    struct Page: Encodable {
        struct Change: Encodable {
            var at: String
            var action: String
            var source: String
            var changed: String
        }

        var layout: Layout
        var isNew: Bool
        var code: String
        var values: [String: String]
        var errors: [String: String]
        var hasErrors: Bool
        var general: [String]
        var categories: [Choice]
        var kinds: [Choice]
        var dayTypes: [Choice]
        var fastTrack: Bool
        var retired: Bool
        var questions: [String]
        var history: [Change]
        var version: Int?
    }

    private func authorize(_ request: Request) async throws {
        _ = try request.requireUser()
        try await request.authorize(.manageClassifier, in: .platform)
    }

    @Sendable
    func newForm(request: Request) async throws -> Response {
        try await authorize(request)
        let category = (try? request.query.get(String.self, at: "category")) ?? ""
        let defaults = SubcategorySpec.defaultTerm(kind: .appeal, fastTrack: false)
        let values = [
            "categoryCode": category, "kind": AppealKind.appeal.rawValue, "answerDays": String(defaults.days),
            "dayType": defaults.type.rawValue, "coordinationDays": String(ClassifierDefaults.coordinationDays),
            "moderationDays": String(ClassifierDefaults.moderationDays),
        ]
        return try await request.render(
            "admin/classifier-item", try await page(request, code: nil, values: values, fastTrack: false, retired: false))
    }

    @Sendable
    func edit(request: Request) async throws -> Response {
        try await authorize(request)
        let sub = try await subcategory(request)
        let item = sub.spec
        let values = [
            "code": item.code, "name": item.name, "categoryCode": sub.category.code, "kind": item.kind.rawValue,
            "answerDays": String(item.answerDays), "dayType": item.dayType.rawValue,
            "coordinationDays": String(item.coordinationDays), "moderationDays": String(item.moderationDays),
            "keywords": item.keywords.joined(separator: ", "),
        ]
        return try await request.render(
            "admin/classifier-item",
            try await page(
                request, code: item.code, values: values, fastTrack: item.fastTrack, retired: sub.isRetired,
                questions: item.questions, version: sub.version))
    }

    @Sendable
    func create(request: Request) async throws -> Response {
        try await authorize(request)
        return try await save(request, existing: nil)
    }

    @Sendable
    func update(request: Request) async throws -> Response {
        try await authorize(request)
        return try await save(request, existing: try await subcategory(request))
    }

    private func subcategory(_ request: Request) async throws -> Subcategory {
        guard let sub = try await Subcategory.query(on: request.db).filter(\.$code == (request.parameters.get("code") ?? ""))
            .with(\.$category).first()
        else { throw AppError.notFound }
        return sub
    }

    private func save(_ request: Request, existing: Subcategory?) async throws -> Response {
        let form = try request.content.decode(Form.self)
        var issues: [ClassifierIssue] = []
        func number(_ field: String, _ raw: String?) -> Int {
            guard let value = raw?.trimmingWhitespace(), let number = Int(value) else {
                issues.append(ClassifierIssue(line: nil, path: field, code: .badNumber, value: raw ?? ""))
                return 0
            }
            return number
        }
        let kind = AppealKind(rawValue: form.kind ?? "")
        if kind == nil { issues.append(ClassifierIssue(line: nil, path: "kind", code: .unknownKind, value: form.kind ?? "")) }
        let dayType = DayType(rawValue: form.dayType ?? "")
        if dayType == nil { issues.append(ClassifierIssue(line: nil, path: "dayType", code: .unknownDayType, value: form.dayType ?? "")) }
        let item = SubcategorySpec(
            code: existing?.code ?? (form.code ?? "").trimmingWhitespace().lowercased(), name: (form.name ?? "").trimmingWhitespace(),
            kind: kind ?? .appeal, answerDays: number("answerDays", form.answerDays), dayType: dayType ?? .calendar,
            coordinationDays: number("coordinationDays", form.coordinationDays),
            moderationDays: number("moderationDays", form.moderationDays), fastTrack: form.fastTrack?.isEmpty == false,
            keywords: (form.keywords ?? "").split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty },
            questions: existing?.questions ?? [])
        // A new item starts in use; only an existing one can be retired.
        let retired = existing != nil && form.retired?.isEmpty == false
        var values: [String: String] = [:]
        for (key, value) in [
            ("code", item.code), ("name", form.name), ("categoryCode", form.categoryCode), ("kind", form.kind),
            ("answerDays", form.answerDays), ("dayType", form.dayType), ("coordinationDays", form.coordinationDays),
            ("moderationDays", form.moderationDays), ("keywords", form.keywords),
        ] { values[key] = value ?? "" }
        do {
            if !issues.isEmpty {
                // Report the item's other problems too, not just the numbers that did not parse.
                let alone = ClassifierSpec(categories: [CategorySpec(code: "x", name: "x", sphere: nil, subcategories: [item])])
                let unparsed = Set(issues.map(\.path))
                let more = ClassifierValidation.validate(alone).filter {
                    !unparsed.contains($0.path.split(separator: ".").last.map(String.init) ?? "")
                }
                throw ClassifierImportFailure(issues + more)
            }
            let edit = ClassifierService.SubcategoryEdit(item: item, categoryCode: form.categoryCode ?? "", retired: retired)
            _ = try await ClassifierService.save(edit, originalCode: existing?.code, version: form.version, on: request)
            let flash = retired ? "Подкатегория «\(item.name)» выведена из употребления." : "Подкатегория «\(item.name)» сохранена."
            return request.seeOther("/admin/classifier/items/\(item.code)", flash: flash)
        } catch let failure as ClassifierImportFailure {
            return try await request.render(
                "admin/classifier-item",
                try await page(
                    request, code: existing?.code, values: values, fastTrack: item.fastTrack, retired: retired,
                    questions: item.questions, issues: failure.issues, itemCode: item.code,
                    version: failure.issues.contains { $0.code == .staleVersion } ? existing?.version : form.version),
                status: failure.issues.contains { $0.code == .staleVersion } ? .conflict : .unprocessableEntity)
        }
    }

    private func page(
        _ request: Request, code: String?, values: [String: String], fastTrack: Bool, retired: Bool,
        questions: [ExtraQuestion] = [], issues: [ClassifierIssue] = [], itemCode: String? = nil, version: Int? = nil
    ) async throws -> Page {
        let categories = try await Category.query(on: request.db).filter(\.$isRetired == false).sort(\.$position).all()
        let (errors, general) = Self.messages(for: issues, itemCode: itemCode ?? code ?? "", values: values)
        let history = try await code.asyncFlatMap { try await ClassifierQueries.history(code: $0, on: request.db) } ?? []
        return Page(
            layout: await Layout.make(for: request, title: code == nil ? "Новая подкатегория" : "Подкатегория \(code!)"),
            isNew: code == nil, code: code ?? "", values: values, errors: errors, hasErrors: !issues.isEmpty, general: general,
            categories: [Choice(value: "", label: "— выберите —", selected: (values["categoryCode"] ?? "").isEmpty)]
                + categories.map { Choice(value: $0.code, label: $0.name, selected: $0.code == values["categoryCode"]) },
            kinds: AppealKind.allCases.map { Choice(value: $0.rawValue, label: Strings.title($0), selected: $0.rawValue == values["kind"]) },
            dayTypes: DayType.allCases.map {
                Choice(value: $0.rawValue, label: $0 == .calendar ? "календарные дни" : "рабочие дни", selected: $0.rawValue == values["dayType"])
            },
            fastTrack: fastTrack, retired: retired, questions: questions.map { $0.label + ($0.required ? " *" : "") },
            history: history.map {
                Page.Change(
                    at: Strings.dateTime($0.at), action: Strings.title($0.action), source: Strings.classifierSource($0.source),
                    changed: Self.changedFields(before: $0.before, after: $0.after))
            }, version: version)
    }

    /// Form-field messages for the problems of this item; the rest (another item, the category left
    /// empty) as general lines.
    static func messages(for issues: [ClassifierIssue], itemCode: String, values: [String: String]) -> ([String: String], [String]) {
        var errors: [String: String] = [:]
        var general: [String] = []
        for issue in issues {
            let field = issue.path.split(separator: ".").last.map(String.init) ?? issue.path
            let message: String =
                switch issue.code {
                case .duplicateCode: "Такой код уже есть в классификаторе."
                case .inconsistentCategory: "Выберите категорию."
                case .emptyCategory: "В категории не останется подкатегорий: сначала добавьте в неё другую."
                default: Strings.ru(issue.code) + "."
                }
            let isThisItem = !issue.path.contains("subcategories[") || issue.value == itemCode
                || ["name", "answerDays", "coordinationDays", "moderationDays", "kind", "dayType"].contains(field)
            if issue.code == .emptyCategory {
                errors["categoryCode"] = message
            } else if isThisItem, ["code", "name", "categoryCode", "kind", "answerDays", "dayType", "coordinationDays", "moderationDays"].contains(field) {
                errors[field] = errors[field].map { $0 + " " + message } ?? message
            } else {
                general.append(message)
            }
        }
        return (errors, general)
    }

    /// «название, срок ответа» from the before/after snapshots a change keeps.
    static func changedFields(before: String?, after: String?) -> String {
        func object(_ text: String?) -> [String: AnyCodableValue] {
            guard let text, let data = text.data(using: .utf8) else { return [:] }
            return (try? JSONDecoder().decode([String: AnyCodableValue].self, from: data)) ?? [:]
        }
        let old = object(before)
        let new = object(after)
        guard !old.isEmpty, !new.isEmpty else { return "" }
        let labels: [(String, String)] = [
            ("name", "название"), ("kind", "вид"), ("answerDays", "срок ответа"), ("dayType", "тип дней"),
            ("coordinationDays", "срок согласования"), ("moderationDays", "срок модерации"), ("fastTrack", "фаст-трек"),
            ("keywords", "ключевые слова"), ("questions", "вопросы"), ("sphere", "сфера"),
        ]
        return labels.filter { old[$0.0] != new[$0.0] }.map(\.1).joined(separator: ", ")
    }
}

/// Any JSON value, compared for equality (history snapshots are compared field by field).
enum AnyCodableValue: Decodable, Equatable {
    case string(String), number(Double), bool(Bool), array([AnyCodableValue]), object([String: AnyCodableValue]), null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([AnyCodableValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: AnyCodableValue].self))
        }
    }
}
