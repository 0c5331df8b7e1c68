import Domain
import Fluent
import Vapor

/// `/moderation`: the queue (oldest first, with the moderation deadline) and the card where the
/// moderator decides.
struct ModerationPagesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let moderation = routes.grouped("moderation")
        moderation.get(use: queue)
        moderation.get(":number", use: card)
        moderation.post(":number", use: decide)
    }

    struct QueuePage: Encodable {
        struct Row: Encodable {
            var number: String
            var category: String
            var subcategory: String
            var fastTrack: Bool
            var channel: String
            var excerpt: String
            var executor: String
            var registered: String
            var dueIn: String
            var overdue: Bool
            var duplicate: Bool
        }

        var layout: Layout
        var rows: [Row]
        var next: String?
        var empty: Bool
    }

    @Sendable
    func queue(request: Request) async throws -> Response {
        _ = try request.requireUser()
        var cursor: (year: Int, sequence: Int)?
        if let raw = try? request.query.get(String.self, at: "after") {
            let parts = raw.split(separator: "-").compactMap { Int($0) }
            if parts.count == 2 { cursor = (parts[0], parts[1]) }
        }
        let appeals = try await ModerationService.queue(after: cursor, limit: 50, on: request)
        let organisations = try await OrganisationQueries.directory(on: request.db)
        let names = Dictionary(uniqueKeysWithValues: organisations.compactMap { o in o.id.map { ($0, o.shortName) } })
        let now = request.now
        let rows = appeals.map { appeal in
            QueuePage.Row(
                number: appeal.number, category: appeal.categoryName, subcategory: appeal.subcategoryName,
                fastTrack: appeal.fastTrack, channel: Strings.channel(appeal.channel, source: appeal.source),
                excerpt: String(appeal.text.prefix(160)), executor: appeal.$executorOrganisation.id.flatMap { names[$0] } ?? "не определён",
                registered: Strings.dateTime(appeal.registeredAt), dueIn: Strings.countdown(from: now, to: appeal.moderationDueAt),
                overdue: appeal.moderationDueAt < now, duplicate: appeal.possibleDuplicateOf != nil)
        }
        return try await request.render(
            "moderation/queue",
            QueuePage(
                layout: await Layout.make(for: request, title: "Модерация"), rows: rows,
                next: appeals.count == 50 ? appeals.last.map { "\($0.year)-\($0.sequence)" } : nil, empty: rows.isEmpty))
    }

    struct CardPage: Encodable {
        var layout: Layout
        var number: String
        var status: String
        var inModeration: Bool
        var category: String
        var subcategory: String
        var subcategoryCode: String
        var text: String
        var applicant: String
        var email: String?
        var phone: String?
        var conflictName: String?
        var problemAddress: String?
        var executor: String?
        var duplicateOf: String?
        var subcategories: [RoutingAdminController.Page.Group]
        var organisations: [Choice]
        var reasons: [Choice]
        var errors: [String: String]
        var hasErrors: Bool
        var attachments: [AttachmentLink]
    }

    private func page(_ request: Request, appeal: Appeal, failure: ValidationFailure? = nil) async throws -> CardPage {
        let db = request.db
        let categories = try await Category.query(on: db).filter(\.$isRetired == false).sort(\.$position).all()
        let subcategories = try await Subcategory.query(on: db).filter(\.$isRetired == false).sort(\.$position).all()
        let byCategory = Dictionary(grouping: subcategories, by: { $0.$category.id })
        let organisations = try await OrganisationQueries.directory(on: db).filter(\.isActive)
        let depths = OrganisationQueries.depths(organisations)
        let executor = try await appeal.$executorOrganisation.id.asyncFlatMap { try await Organisation.find($0, on: db) }
        let earlier = try await appeal.possibleDuplicateOf.asyncFlatMap { try await Appeal.find($0, on: db) }
        return CardPage(
            layout: await Layout.make(for: request, title: "Модерация № \(appeal.number)"), number: appeal.number,
            status: Strings.title(appeal.status), inModeration: appeal.status == .moderation, category: appeal.categoryName,
            subcategory: appeal.subcategoryName, subcategoryCode: appeal.subcategoryCode, text: appeal.text,
            applicant: appeal.applicantName.full, email: appeal.email, phone: appeal.phone, conflictName: appeal.conflictName,
            problemAddress: appeal.problemAddress, executor: executor?.name, duplicateOf: earlier?.number,
            subcategories: categories.map { category in
                .init(
                    label: category.name,
                    options: (category.id.flatMap { byCategory[$0] } ?? []).map {
                        Choice(value: $0.code, label: $0.name, selected: $0.code == appeal.subcategoryCode)
                    })
            },
            organisations: organisations.map {
                Choice(
                    value: $0.id?.uuidString ?? "", label: $0.name, selected: $0.id == appeal.$executorOrganisation.id,
                    depth: $0.id.flatMap { depths[$0] } ?? 0)
            },
            reasons: RejectReason.allCases.filter { $0 != .duplicate }.map {
                Choice(value: $0.rawValue, label: Strings.title($0), selected: false)
            },
            errors: failure.map(FormErrors.russian) ?? [:], hasErrors: failure != nil,
            attachments: try await AttachmentLink.all(of: appeal, on: db))
    }

    private func appeal(_ request: Request) async throws -> Appeal {
        let user = try request.requireUser()
        guard let appeal = try await Appeal.query(on: request.db).filter(\.$number == (request.parameters.get("number") ?? "")).first()
        else { throw AppError.notFound }
        let scope = appeal.scope
        // Someone who may not moderate it learns nothing, not even that the number exists.
        guard try await request.permits(.moderate, in: scope) || appeal.userID == user.id else { throw AppError.notFound }
        try await request.authorize(.moderate, in: scope)
        try await PersonalDataLog.record(appeal, on: request)
        return appeal
    }

    @Sendable
    func card(request: Request) async throws -> Response {
        let appeal = try await appeal(request)
        return try await request.render("moderation/card", try await page(request, appeal: appeal))
    }

    @Sendable
    func decide(request: Request) async throws -> Response {
        let appeal = try await appeal(request)
        let input = try request.content.decode(ModerationInput.self)
        return try await request.submitForm("moderation/card") {
            let decided = try await ModerationService.decide(input, on: appeal, request: request)
            let target = decided.status == .moderation ? "/moderation/\(decided.number)" : "/moderation"
            return request.seeOther(target, flash: "Решение по обращению № \(decided.number) сохранено.")
        } onInvalid: { failure in
            try await page(request, appeal: appeal, failure: failure)
        }
    }
}
