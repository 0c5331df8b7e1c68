import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// One row of the workspace, the same for the page and the API (product.md §4, seed 004).
struct WorkspaceRow: Content {
    var number: String
    var categoryName: String
    var subcategoryName: String
    var fastTrack: Bool
    var channel: IntakeChannel
    var channelTitle: String
    var excerpt: String
    var applicantRegion: String?
    var executorOrganisation: String?
    var executor: String?
    var problemAddress: String?
    var registeredAt: Date
    var registered: String
    var answerDueAt: Date
    var answerCountdown: String
    var coordinationDueAt: Date?
    var coordinationCountdown: String?
    var overdue: Bool
    var delegatedByRule: Bool
    var stage: AppealStage?
    var stageTitle: String?
    var url: String
}

struct WorkspaceDTO: Content {
    struct Folder: Content {
        var folder: WorkspaceFolder
        var title: String
        var count: Int
        var selected: Bool
    }

    var organisationId: UUID
    var organisationName: String
    var ownOnly: Bool
    /// The person coordinates here: the team and auto-rules pages are theirs.
    var coordinates: Bool
    var folders: [Folder]
    var items: [WorkspaceRow]
    /// Cursor for the following page (`after=`), `nil` on the last page.
    var next: String?
}

/// `/desk`: the coordinator workspace and the staff card of an appeal where every processing action is
/// made; `/api/v1/workspace` and `/api/v1/appeals/:number/actions|notes` are the same for programs.
struct DeskController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let desk = routes.grouped("desk")
        desk.get(use: workspacePage)
        desk.get("appeals", ":number", use: cardPage)
        desk.grouped(RequireUserMiddleware()).on(.POST, "appeals", ":number", body: .collect(maxSize: AppealUploads.maxBody), use: act)
        desk.post("appeals", ":number", "notes", use: addNotePage)
    }

    func bootAPI(_ api: any RoutesBuilder) {
        api.get("workspace", use: workspaceAPI).document(.init(
            "Рабочее место сотрудника: папки и список обращений",
            query: [
                .uuid("organisation", "Организация (если их несколько)"),
                .oneOf("folder", WorkspaceFolder.allCases.map(\.rawValue), "Папка"),
                .date("dueBefore", "Срок ответа не позже даты"),
                .oneOf("overdue", ["1"], "Только просроченные"),
                .oneOf("delegated", ["1"], "Только переданные по правилу"),
                .oneOf("channel", IntakeChannel.allCases.map(\.rawValue), "Канал поступления"),
                .oneOf("stage", AppealStage.allCases.map(\.rawValue), "Этап"),
                .string("q", "Поиск по номеру, заявителю, тексту"),
                .oneOf("sort", ["asc", "desc"], "По сроку: asc — ближайшие первыми, desc — новые первыми"),
                .oneOf("limit", ["10", "50", "100"], "Размер страницы"),
                .string("after", "Курсор следующей страницы"),
                .oneOf("mine", ["1"], "Только мои"),
            ]))
        api.grouped(RequireUserMiddleware()).on(.POST, "appeals", ":number", "actions", body: .collect(maxSize: AppealUploads.maxBody), use: actAPI)
            .bodyLimit(AppealUploads.maxBody)
            .document(.init(
                "Действие над обращением (назначить, ответить, утвердить, вернуть, продлить…)",
                description: "Если обращение уже изменил кто-то другой — 409, и в поле appeal обращение как оно есть сейчас.",
                body: ProcessingInput.self, multipart: true, response: AppealDTO.self))
        api.get("appeals", ":number", "notes", use: notesAPI).document(.init("Служебные заметки к обращению"))
        api.post("appeals", ":number", "notes", use: addNoteAPI).document(.init(
            "Добавить служебную заметку", body: NoteInput.self))
    }

    // MARK: Workspace

    static func workspace(_ request: Request) async throws -> WorkspaceDTO {
        try await workspaceWithReach(request).workspace
    }

    /// The workspace and the organisations the person may open (one query of organisations for both).
    static func workspaceWithReach(_ request: Request) async throws
        -> (workspace: WorkspaceDTO, reach: [(organisation: Organisation, all: Bool)])
    {
        let actor = try await request.requireActor()
        let db = request.db
        let organisations = try await Organisation.query(on: db).sort(\.$name).all()
        let tree = OrganisationQueries.tree(of: organisations)
        let reach = WorkspaceService.reach(of: actor, tree: tree, organisations: organisations)
        guard !reach.isEmpty else { throw AppError.forbidden }
        let asked = (try? request.query.get(String.self, at: "organisation")).flatMap(UUID.init(uuidString:))
        guard let chosen = asked.map({ id in reach.first { $0.organisation.id == id } }) ?? reach.first else {
            throw AppError.notFound
        }
        let organisationID = try chosen.organisation.requireID()
        var filter = WorkspaceService.Filter(query: request.query)
        if !chosen.all || (try? request.query.get(String.self, at: "mine")) == "1" { filter.executorID = actor.userID }
        let counts = try await WorkspaceService.counts(organisation: organisationID, executorID: filter.executorID, on: db)
        let now = request.now
        let page = try await WorkspaceService.list(
            organisation: organisationID, filter: filter, now: now, calendar: request.application.productionCalendar, on: db)
        let shortNames = Dictionary(organisations.compactMap { o in o.id.map { ($0, o.shortName) } }, uniquingKeysWith: { a, _ in a })
        let dto = WorkspaceDTO(
            organisationId: organisationID, organisationName: chosen.organisation.name, ownOnly: filter.executorID != nil,
            coordinates: Policy.permits(actor, .coordinate, in: .organisation(organisationID), tree: tree),
            folders: WorkspaceFolder.allCases.map {
                .init(folder: $0, title: Strings.title($0), count: counts[$0] ?? 0, selected: $0 == filter.folder)
            },
            items: try await rows(page.items, now: now, organisationNames: shortNames, on: db), next: page.next)
        return (dto, reach)
    }

    /// The rows of a page with their names, in three queries whatever the page size.
    static func rows(_ items: [WorkspaceItem], now: Date, organisationNames known: [UUID: String]? = nil, on db: any Database)
        async throws -> [WorkspaceRow]
    {
        guard let sql = db as? any SQLDatabase else { return [] }
        func names(_ table: String, _ column: String, _ ids: Set<UUID>) async throws -> [UUID: String] {
            guard !ids.isEmpty else { return [:] }
            let rows = try await sql.select().column("id").column(SQLRaw(column), as: "label").from(table).where("id", .in, Array(ids)).all()
            var result: [UUID: String] = [:]
            for row in rows { result[try row.decode(column: "id", as: UUID.self)] = try row.decode(column: "label", as: String.self) }
            return result
        }
        let territoryNames = try await names("territories", "name", Set(items.map(\.territoryId)))
        var organisationNames = known ?? [:]
        if known == nil { organisationNames = try await names("organisations", "short_name", Set(items.compactMap(\.executorOrganisationId))) }
        let executorNames = try await names("users", "surname || ' ' || name", Set(items.compactMap(\.executorId)))
        return items.map { item in
            let open = item.folder != .done
            return WorkspaceRow(
                number: item.number, categoryName: item.categoryName, subcategoryName: item.subcategoryName,
                fastTrack: item.fastTrack, channel: item.channel, channelTitle: Strings.title(item.channel),
                excerpt: excerpt(item.excerpt), applicantRegion: item.locality ?? territoryNames[item.territoryId],
                executorOrganisation: item.executorOrganisationId.flatMap { organisationNames[$0] },
                executor: item.executorId.flatMap { executorNames[$0] }, problemAddress: item.problemAddress,
                registeredAt: item.registeredAt, registered: Strings.dateTime(item.registeredAt),
                answerDueAt: item.answerDueAt, answerCountdown: open ? Strings.term(from: now, to: item.answerDueAt) : "—",
                coordinationDueAt: item.coordinationDueAt,
                coordinationCountdown: item.status == .coordination ? item.coordinationDueAt.map { Strings.countdown(from: now, to: $0) } : nil,
                overdue: open && item.answerDueAt < now, delegatedByRule: item.delegatedByRule, stage: item.stage,
                stageTitle: item.stage.map(Strings.title), url: "/desk/appeals/\(item.number)")
        }
    }

    static func excerpt(_ text: String) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > 160 ? String(flat.prefix(157)) + "…" : flat
    }

    @Sendable
    func workspaceAPI(request: Request) async throws -> WorkspaceDTO {
        _ = try request.requireUser()
        return try await Self.workspace(request)
    }

    struct WorkspacePage: Encodable {
        var layout: Layout
        var workspace: WorkspaceDTO
        var organisations: [Choice]
        var channels: [Choice]
        var stages: [Choice]
        var sizes: [Choice]
        var query: [String: String]
        var baseQuery: String
        var nextURL: String?
        var empty: Bool
    }

    @Sendable
    func workspacePage(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let (workspace, reach) = try await Self.workspaceWithReach(request)
        let filter = WorkspaceService.Filter(query: request.query)
        var query: [String: String] = [:]
        for key in ["dueBefore", "overdue", "delegated", "channel", "stage", "q", "sort", "limit", "mine"] {
            if let value = try? request.query.get(String.self, at: key), !value.isEmpty { query[key] = value }
        }
        // Links between folders keep the filters; paging keeps the folder too.
        var base = query
        base["organisation"] = workspace.organisationId.uuidString
        let baseQuery = base.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            .joined(separator: "&")
        return try await request.render(
            "desk/workspace",
            WorkspacePage(
                layout: await Layout.make(for: request, title: "Рабочее место"), workspace: workspace,
                organisations: reach.map {
                    Choice(value: $0.organisation.id?.uuidString ?? "", label: $0.organisation.name, selected: $0.organisation.id == workspace.organisationId)
                },
                channels: IntakeChannel.allCases.map { Choice(value: $0.rawValue, label: Strings.title($0), selected: $0 == filter.channel) },
                stages: AppealStage.allCases.map { Choice(value: $0.rawValue, label: Strings.title($0), selected: $0 == filter.stage) },
                sizes: WorkspaceService.Filter.pageSizes.map { Choice(value: String($0), label: String($0), selected: $0 == filter.limit) },
                query: query, baseQuery: baseQuery,
                nextURL: workspace.next.map { "/desk?\(baseQuery)&folder=\(filter.folder.rawValue)&after=\($0)" },
                empty: workspace.items.isEmpty))
    }

    // MARK: Card

    /// The appeal for a staff member whose role reaches its organisation. Owning the appeal is not
    /// enough: an employee who filed one as a citizen sees the citizen's card, not the internal one.
    static func staffAppeal(_ request: Request) async throws -> Appeal {
        _ = try request.requireUser()
        guard let appeal = try await Appeal.query(on: request.db).filter(\.$number == (request.parameters.get("number") ?? "")).first()
        else { throw AppError.notFound }
        let scope = appeal.scope
        guard try await request.permits(.viewAppeals, in: scope) else { throw AppError.notFound }
        try await PersonalDataLog.record(appeal, on: request)
        return appeal
    }

    struct CardPage: Encodable {
        struct Event: Encodable {
            var at: String
            var title: String
            var actor: String?
            var comment: String?
            var details: String?
        }

        struct Note: Encodable {
            var at: String
            var author: String?
            var text: String
        }

        struct Answer: Encodable {
            var text: String
            var outcome: String
            var state: String
            var comment: String?
            var files: [AttachmentLink]
        }

        var layout: Layout
        var number: String
        var version: Int
        var status: String
        var category: String
        var subcategory: String
        var fastTrack: Bool
        var kindTitle: String
        var channel: String
        var text: String
        var applicant: String
        var email: String?
        var phone: String?
        var locality: String?
        var conflictName: String?
        var problemAddress: String?
        var organisation: String?
        var executor: String?
        var delegatedByRule: Bool
        var stage: String?
        var registered: String
        var answerTerm: String?
        var coordinationTerm: String?
        var overdue: Bool
        var extendedDays: Int?
        var postponedUntil: String?
        var awaitingCitizen: Bool
        var outcome: String?
        var rating: Int?
        var attachments: [AttachmentLink]
        var events: [Event]
        var notes: [Note]
        var answers: [Answer]
        var actions: [String: Bool]
        var executors: [Choice]
        var organisations: [Choice]
        var outcomes: [Choice]
        var helps: [Choice]
        var canNote: Bool
        var message: String?
        var errors: [String: String]
        var hasErrors: Bool
        var form: ProcessingInput
    }

    static func cardPage(
        _ request: Request, appeal: Appeal, failure: ValidationFailure? = nil, message: String? = nil, form: ProcessingInput? = nil
    ) async throws -> CardPage {
        let db = request.db
        let now = request.now
        let actor = try await request.requireActor()
        let tree = try await OrganisationQueries.tree(on: db)
        let scope = appeal.scope
        var actions: [String: Bool] = [:]
        for transition in AppealTransition.allCases where transition != .rate {
            let roles = ProcessingService.roles(of: actor, for: transition.policyAction, in: scope, tree: tree)
            guard (try? Lifecycle.check(transition, from: appeal.status, roles: roles)) != nil else { continue }
            if transition.needsAssignee, appeal.$executor.id != actor.userID { continue }
            if transition == .take, appeal.takenAt != nil { continue }
            if transition == .extend, appeal.kind != .appeal || appeal.extendedDays != nil { continue }
            if transition == .sendBack, appeal.previousOrganisationID == nil { continue }
            actions[transition.rawValue] = true
        }
        let appealID = try appeal.requireID()
        let events = try await AppealEvent.query(on: db).filter(\.$appeal.$id == appealID).sort(\.$at).all()
        let notes = try await AppealNote.query(on: db).filter(\.$appeal.$id == appealID).sort(\.$at).all()
        let answers = try await AppealAnswer.query(on: db).filter(\.$appeal.$id == appealID).sort(\.$createdAt).all()
        let people = Set(events.compactMap(\.actorID) + notes.compactMap(\.authorID) + [appeal.$executor.id].compactMap { $0 })
        let users = people.isEmpty ? [] : try await User.query(on: db).filter(\.$id ~~ Array(people)).all()
        let names = Dictionary(users.compactMap { u in u.id.map { ($0, u.personName.short) } }, uniquingKeysWith: { a, _ in a })
        let organisation = try await appeal.$executorOrganisation.id.asyncFlatMap { try await Organisation.find($0, on: db) }
        let executors = try await appeal.$executorOrganisation.id.asyncFlatMap { try await AssignmentService.executors(of: $0, on: db) } ?? []
        let allOrganisations = actions["redirect"] == true ? try await OrganisationQueries.directory(on: db).filter(\.isActive) : []
        let depths = OrganisationQueries.depths(allOrganisations)
        let open = ![.answered, .closed, .rejected].contains(appeal.status)
        return CardPage(
            layout: await Layout.make(for: request, title: "Обращение № \(appeal.number)"), number: appeal.number,
            version: appeal.lockVersion, status: Strings.title(appeal.status), category: appeal.categoryName,
            subcategory: appeal.subcategoryName, fastTrack: appeal.fastTrack, kindTitle: Strings.title(appeal.kind),
            channel: Strings.channel(appeal.channel, source: appeal.source), text: appeal.text, applicant: appeal.applicantName.full, email: appeal.email,
            phone: appeal.phone, locality: appeal.locality, conflictName: appeal.conflictName, problemAddress: appeal.problemAddress,
            organisation: organisation?.name, executor: appeal.$executor.id.flatMap { names[$0] },
            delegatedByRule: appeal.delegatedByRule, stage: appeal.stage.map(Strings.title),
            registered: Strings.dateTime(appeal.registeredAt),
            answerTerm: open ? Strings.term(from: now, to: appeal.answerDueAt) : nil,
            coordinationTerm: appeal.status == .coordination ? appeal.coordinationDueAt.map { Strings.countdown(from: now, to: $0) } : nil,
            overdue: open && appeal.answerDueAt < now, extendedDays: appeal.extendedDays,
            postponedUntil: appeal.postponedUntil.flatMap { LocalDate(iso: $0) }.map { String(format: "%02d.%02d.%04d", $0.day, $0.month, $0.year) },
            awaitingCitizen: appeal.awaitingCitizen, outcome: appeal.outcome.map(Strings.title), rating: appeal.rating,
            attachments: try await AttachmentLink.all(of: appeal, on: db),
            events: events.map {
                .init(at: Strings.dateTime($0.at), title: Strings.title($0.action), actor: $0.actorID.flatMap { names[$0] }, comment: $0.comment,
                      details: $0.details)
            },
            notes: notes.map { .init(at: Strings.dateTime($0.at), author: $0.authorID.flatMap { names[$0] }, text: $0.text) },
            answers: try await answers.asyncMap { answer in
                .init(
                    text: answer.text, outcome: Strings.title(answer.outcome), state: Strings.title(answer.state),
                    comment: answer.decisionComment, files: try await AttachmentLink.all(of: appeal, answer: answer.id, on: db))
            },
            actions: actions,
            executors: executors.map { Choice(value: $0.id?.uuidString ?? "", label: $0.personName.full, selected: $0.id == appeal.$executor.id) },
            organisations: allOrganisations.filter { $0.id != appeal.$executorOrganisation.id }.map {
                Choice(value: $0.id?.uuidString ?? "", label: $0.name, selected: false, depth: $0.id.flatMap { depths[$0] } ?? 0)
            },
            outcomes: AnswerOutcome.allCases.map { Choice(value: $0.rawValue, label: Strings.title($0), selected: $0.rawValue == form?.outcome) },
            helps: HelpKind.allCases.map {
                Choice(value: $0.rawValue, label: Strings.title($0), selected: $0.rawValue == (form?.help ?? HelpKind.writtenConsultation.rawValue))
            },
            canNote: true,
            message: message, errors: failure.map(FormErrors.russian) ?? [:], hasErrors: failure != nil,
            form: form.map { var kept = $0; kept.attachments = nil; return kept } ?? ProcessingInput())
    }

    @Sendable
    func cardPage(request: Request) async throws -> Response {
        let appeal = try await Self.staffAppeal(request)
        return try await request.render("desk/card", try await Self.cardPage(request, appeal: appeal))
    }

    @Sendable
    func act(request: Request) async throws -> Response {
        let appeal = try await Self.staffAppeal(request)
        let input = try request.content.decode(ProcessingInput.self)
        do {
            let done = try await ProcessingService.act(input, on: appeal, request: request)
            let title = input.action.flatMap(AppealTransition.init(rawValue:)).map(Strings.title) ?? "Действие"
            // After handing the appeal on, the person goes back to the workspace; otherwise to the card.
            let stays = try await request.permits(.viewAppeals, in: done.scope)
            return request.seeOther(stays ? "/desk/appeals/\(done.number)" : "/desk", flash: "«\(title)»: сохранено.")
        } catch let failure as ValidationFailure {
            // A stale copy: show the fresh appeal, keep what the person typed.
            let fresh = try await Appeal.find(appeal.requireID(), on: request.db) ?? appeal
            let page = try await Self.cardPage(request, appeal: fresh, failure: failure, form: input)
            return try await request.render("desk/card", page, status: failure.isConflictOnly ? .conflict : .unprocessableEntity)
        } catch let refusal as LifecycleRefusal {
            let fresh = try await Appeal.find(appeal.requireID(), on: request.db) ?? appeal
            let page = try await Self.cardPage(request, appeal: fresh, message: Strings.russian(refusal), form: input)
            return try await request.render("desk/card", page, status: refusal.status)
        }
    }

    @Sendable
    func actAPI(request: Request) async throws -> Response {
        let appeal = try await Self.staffAppeal(request)
        let input = try request.content.decode(ProcessingInput.self)
        do {
            let done = try await ProcessingService.act(input, on: appeal, request: request)
            try await done.$attachments.load(on: request.db)
            return try await AppealDTO(done).encodeResponse(for: request)
        } catch {
            // Someone else moved the appeal: the 409 carries it as it is now (a fresh view).
            let conflict = (error as? ValidationFailure)?.isConflictOnly == true || (error as? LifecycleRefusal)?.status == .conflict
            guard conflict, let fresh = try await Appeal.query(on: request.db).filter(\.$id == appeal.requireID()).with(\.$attachments).first()
            else { throw error }
            let response = await AppErrorMiddleware().response(for: error, request: request)
            var body = try response.content.decode(APIErrorBody.self)
            body.appeal = try AppealDTO(fresh)
            try response.content.encode(body)
            return response
        }
    }

    // MARK: Notes

    struct NoteInput: Content {
        var text: String?
    }

    struct NoteDTO: Content {
        var id: UUID
        var at: Date
        var authorId: UUID?
        var text: String
    }

    static func addNote(_ request: Request, to appeal: Appeal) async throws -> AppealNote {
        let actor = try await request.requireActor()
        let input = try request.content.decode(NoteInput.self)
        guard let text = input.text?.nonBlank else { throw ValidationFailure([FieldError("text", .required)]) }
        guard text.count <= ProcessingService.maxComment else { throw ValidationFailure([FieldError("text", .tooLong)]) }
        let note = AppealNote()
        note.$appeal.id = try appeal.requireID()
        note.authorID = actor.userID
        note.text = text
        note.at = request.now
        try await note.create(on: request.db)
        return note
    }

    @Sendable
    func addNotePage(request: Request) async throws -> Response {
        let appeal = try await Self.staffAppeal(request)
        do {
            _ = try await Self.addNote(request, to: appeal)
            return request.seeOther("/desk/appeals/\(appeal.number)", flash: "Заметка добавлена.")
        } catch let failure as ValidationFailure {
            return try await request.render(
                "desk/card", try await Self.cardPage(request, appeal: appeal, failure: failure), status: .unprocessableEntity)
        }
    }

    @Sendable
    func addNoteAPI(request: Request) async throws -> NoteDTO {
        let appeal = try await Self.staffAppeal(request)
        let note = try await Self.addNote(request, to: appeal)
        return NoteDTO(id: try note.requireID(), at: note.at, authorId: note.authorID, text: note.text)
    }

    @Sendable
    func notesAPI(request: Request) async throws -> [NoteDTO] {
        let appeal = try await Self.staffAppeal(request)
        return try await AppealNote.query(on: request.db).filter(\.$appeal.$id == appeal.requireID()).sort(\.$at).all().map {
            NoteDTO(id: try $0.requireID(), at: $0.at, authorId: $0.authorID, text: $0.text)
        }
    }
}

extension LifecycleRefusal {
    /// A moved appeal is a conflict; a person who may not act is forbidden.
    var status: HTTPResponseStatus {
        switch self {
        case .notPermitted, .notAssignee: .forbidden
        default: .conflict
        }
    }
}
