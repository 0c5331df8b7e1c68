import Domain
import Fluent
import Vapor

/// `/api/v1/classifier` and `/admin/classifier`: read, export, import, history.
struct ClassifierAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let classifier = routes.grouped("classifier")
        classifier.get(use: show).document(.init(
            "Классификатор обращений", description: "Сферы, категории и подкатегории со сроками ответа и дополнительными вопросами.",
            access: .open))
        classifier.get("export", use: export).document(.init(
            "Выгрузить классификатор файлом", query: [.oneOf("format", ["json", "csv"], "Формат файла, по умолчанию json")],
            response: ClassifierSpec.self, media: ["text/csv"]))
        classifier.on(.POST, "import", body: .collect(maxSize: "8mb"), use: importFile).bodyLimit("8mb").document(.init(
            "Загрузить новую версию классификатора",
            description: "Тело — сам файл: JSON в формате выгрузки или CSV (?format=csv или Content-Type: text/csv). Файл с ошибками не меняет ничего.",
            query: [.oneOf("format", ["json", "csv"], "Формат файла")], body: ClassifierSpec.self))
        classifier.get("history", use: history).document(.init(
            "История изменений классификатора (последние 200)", query: [.string("code", "Код категории или подкатегории")]))
    }

    /// The classifier is public: apps build their forms from it.
    @Sendable
    func show(request: Request) async throws -> ClassifierSpec {
        try await ClassifierService.current(on: request.db)
    }

    @Sendable
    func export(request: Request) async throws -> Response {
        _ = try request.requireUser()
        try await request.authorize(.manageClassifier, in: .platform)
        let format = ClassifierFormat(rawValue: (try? request.query.get(String.self, at: "format")) ?? "json") ?? .json
        return ClassifierDownload.response(try await ClassifierService.current(on: request.db), format: format, now: request.now)
    }

    /// The body is the file itself; the format comes from `?format=` or the content type.
    @Sendable
    func importFile(request: Request) async throws -> ClassifierService.ImportReport {
        _ = try request.requireUser()
        guard let body = request.body.data, body.readableBytes > 0 else {
            throw ValidationFailure([FieldError("file", .required)])
        }
        let explicit = try? request.query.get(String.self, at: "format")
        let format = explicit.flatMap(ClassifierFormat.init(rawValue:))
            ?? (request.headers.contentType?.subType == "csv" ? .csv : .json)
        return try await ClassifierService.importFile(Data(buffer: body), format: format, on: request)
    }

    struct ChangeDTO: Content {
        var itemKind: String
        var code: String
        var action: String
        var before: String?
        var after: String?
        var userId: UUID?
        var source: String
        var at: Date
    }

    @Sendable
    func history(request: Request) async throws -> [ChangeDTO] {
        _ = try request.requireUser()
        try await request.authorize(.manageClassifier, in: .platform)
        return try await ClassifierQueries.history(code: try? request.query.get(String.self, at: "code"), on: request.db)
            .map {
                ChangeDTO(
                    itemKind: $0.itemKind.rawValue, code: $0.code, action: $0.action.rawValue, before: $0.before,
                    after: $0.after, userId: $0.userID, source: $0.source, at: $0.at)
            }
    }
}

enum ClassifierQueries {
    /// Latest changes first, at most 200 (the page and the API show the recent past).
    static func history(code: String?, on db: any Database) async throws -> [ClassifierChange] {
        var query = ClassifierChange.query(on: db).sort(\.$at, .descending).limit(200)
        if let code, !code.isEmpty { query = query.filter(\.$code == code) }
        return try await query.all()
    }
}

enum ClassifierDownload {
    static func response(_ spec: ClassifierSpec, format: ClassifierFormat, now: Date) -> Response {
        var headers = HTTPHeaders()
        let stamp = ISO8601DateFormatter.string(from: now, timeZone: .gmt, formatOptions: [.withFullDate])
        switch format {
        case .json: headers.contentType = .json
        case .csv: headers.replaceOrAdd(name: .contentType, value: "text/csv; charset=utf-8")
        }
        headers.replaceOrAdd(
            name: .contentDisposition, value: "attachment; filename=\"classifier-\(stamp).\(format.rawValue)\"")
        return Response(status: .ok, headers: headers, body: .init(data: format.render(spec)))
    }
}

/// The admin page: what the classifier holds, upload a new version, download it, see the history.
struct ClassifierAdminController: RouteCollection {
    static let maxUpload: ByteCount = "8mb"

    func boot(routes: any RoutesBuilder) throws {
        let admin = routes.grouped("admin", "classifier")
        admin.get(use: page)
        admin.get("export", ":format", use: export)
        admin.on(.POST, "import", body: .collect(maxSize: Self.maxUpload), use: importFile)
    }

    struct Page: Encodable {
        struct CategoryRow: Encodable {
            var code: String
            var name: String
            var sphere: String?
            var subcategories: [SubRow]
        }

        struct SubRow: Encodable {
            var code: String
            var name: String
            var kind: String
            var term: String
            var fastTrack: Bool
        }

        struct ChangeRow: Encodable {
            var at: String
            var code: String
            var isSubcategory: Bool
            var action: String
            var source: String
        }

        struct IssueRow: Encodable {
            var line: String
            var path: String
            var message: String
            var value: String
        }

        var layout: Layout
        var categories: [CategoryRow]
        var categoryCount: Int
        var subcategoryCount: Int
        var fastTrackCount: Int
        var changes: [ChangeRow]
        var issues: [IssueRow]
        var hasIssues: Bool
        var report: ClassifierService.ImportReport?
    }

    private func page(
        _ request: Request, issues: [ClassifierIssue] = [], report: ClassifierService.ImportReport? = nil
    ) async throws -> Page {
        let spec = try await ClassifierService.current(on: request.db)
        let spheres = Dictionary(uniqueKeysWithValues: ReferenceData.spheres.map { ($0.0.rawValue, $0.1) })
        let changes = try await ClassifierQueries.history(code: nil, on: request.db).prefix(50).map {
            Page.ChangeRow(at: Strings.dateTime($0.at), code: $0.code, isSubcategory: $0.itemKind == .subcategory, action: Strings.title($0.action), source: Strings.classifierSource($0.source))
        }
        let rows = spec.categories.map { category in
            Page.CategoryRow(
                code: category.code, name: category.name, sphere: category.sphere.flatMap { spheres[$0] },
                subcategories: category.subcategories.map {
                    Page.SubRow(
                        code: $0.code, name: $0.name, kind: Strings.title($0.kind),
                        term: Strings.term($0.answerDays, $0.dayType), fastTrack: $0.fastTrack)
                })
        }
        return Page(
            layout: await Layout.make(for: request, title: "Классификатор"), categories: rows,
            categoryCount: spec.categories.count, subcategoryCount: spec.subcategoryCount,
            fastTrackCount: spec.categories.flatMap(\.subcategories).filter(\.fastTrack).count, changes: Array(changes),
            issues: issues.map {
                Page.IssueRow(
                    line: $0.line.map { "Строка \($0)" } ?? "—", path: $0.path, message: Strings.ru($0.code),
                    value: String($0.value.prefix(120)))
            },
            hasIssues: !issues.isEmpty, report: report)
    }

    @Sendable
    func page(request: Request) async throws -> Response {
        _ = try request.requireUser()
        try await request.authorize(.manageClassifier, in: .platform)
        return try await request.render("admin/classifier", try await page(request))
    }

    @Sendable
    func export(request: Request) async throws -> Response {
        _ = try request.requireUser()
        try await request.authorize(.manageClassifier, in: .platform)
        guard let format = request.parameters.get("format").flatMap(ClassifierFormat.init(rawValue:)) else {
            throw AppError.notFound
        }
        return ClassifierDownload.response(try await ClassifierService.current(on: request.db), format: format, now: request.now)
    }

    struct Upload: Content {
        var file: File?
    }

    @Sendable
    func importFile(request: Request) async throws -> Response {
        _ = try request.requireUser()
        try await request.authorize(.manageClassifier, in: .platform)
        let upload = try request.content.decode(Upload.self)
        guard let file = upload.file, file.data.readableBytes > 0 else {
            return try await request.render(
                "admin/classifier",
                try await page(request, issues: [ClassifierIssue(line: nil, path: "file", code: .emptyClassifier)]),
                status: .unprocessableEntity)
        }
        let format: ClassifierFormat = file.filename.lowercased().hasSuffix(".csv") ? .csv : .json
        do {
            let report = try await ClassifierService.importFile(Data(buffer: file.data), format: format, on: request)
            return try await request.render("admin/classifier", try await page(request, report: report))
        } catch let failure as ClassifierImportFailure {
            return try await request.render(
                "admin/classifier", try await page(request, issues: failure.issues), status: .unprocessableEntity)
        }
    }
}
