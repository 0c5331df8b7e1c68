import Domain
import Fluent
import Vapor

/// The appeal as the API shows it to its owner and to staff who may read it.
struct AppealDTO: Content {
    struct Applicant: Content {
        var surname: String
        var name: String
        var patronymic: String?
        var email: String?
        var phone: String?
    }

    var id: UUID
    var number: String
    var status: AppealStatus
    var channel: IntakeChannel
    var categoryCode: String
    var categoryName: String
    var subcategoryCode: String
    var subcategoryName: String
    var kind: AppealKind
    var fastTrack: Bool
    var text: String
    var problemAddress: String?
    var territoryId: UUID
    var conflictName: String?
    var answers: [String: String]
    var executorOrganisationId: UUID?
    var registeredAt: Date
    var moderationDueAt: Date
    var answerDueAt: Date
    var applicant: Applicant
    /// Loaded with the appeal (`.with(\.$attachments)`); empty when not asked for.
    var attachments: [AttachmentDTO]
    /// Send it back as `version` with an action: a decision on a stale copy is refused with 409.
    var version: Int
    var executorId: UUID?
    var folder: WorkspaceFolder?
    var stage: AppealStage?
    var delegatedByRule: Bool
    var coordinationDueAt: Date?
    var extendedDays: Int?
    var postponedUntil: String?
    var awaitingCitizen: Bool
    var outcome: AnswerOutcome?
    var answeredAt: Date?
    var rating: Int?
    /// The approved answer's text (on `GET /appeals/:number` once answered).
    var answer: String?

    /// The applicant's view: the organisation's internal workflow (who works it, folders, stages,
    /// postponements) stays out.
    func forApplicant() -> AppealDTO {
        var view = self
        view.executorId = nil
        view.folder = nil
        view.stage = nil
        view.delegatedByRule = false
        view.postponedUntil = nil
        return view
    }

    struct AttachmentDTO: Content {
        var id: UUID
        var fileName: String
        var mediaType: String
        var size: Int
        var sha256: String
        var url: String
    }

    init(_ appeal: Appeal) throws {
        id = try appeal.requireID()
        number = appeal.number
        status = appeal.status
        channel = appeal.channel
        categoryCode = appeal.categoryCode
        categoryName = appeal.categoryName
        subcategoryCode = appeal.subcategoryCode
        subcategoryName = appeal.subcategoryName
        kind = appeal.kind
        fastTrack = appeal.fastTrack
        text = appeal.text
        problemAddress = appeal.problemAddress
        territoryId = appeal.$territory.id
        conflictName = appeal.conflictName
        answers = appeal.answers
        executorOrganisationId = appeal.$executorOrganisation.id
        registeredAt = appeal.registeredAt
        moderationDueAt = appeal.moderationDueAt
        answerDueAt = appeal.answerDueAt
        applicant = Applicant(
            surname: appeal.surname, name: appeal.name, patronymic: appeal.patronymic, email: appeal.email,
            phone: appeal.phone)
        version = appeal.lockVersion
        executorId = appeal.$executor.id
        folder = appeal.folder
        stage = appeal.stage
        delegatedByRule = appeal.delegatedByRule
        coordinationDueAt = appeal.coordinationDueAt
        extendedDays = appeal.extendedDays
        postponedUntil = appeal.postponedUntil
        awaitingCitizen = appeal.awaitingCitizen
        outcome = appeal.outcome
        answeredAt = appeal.answeredAt
        rating = appeal.rating
        let number = appeal.number
        attachments = try (appeal.$attachments.value ?? []).filter { $0.answerID == nil }.sorted { $0.position < $1.position }.map {
            AttachmentDTO(
                id: try $0.requireID(), fileName: $0.fileName, mediaType: $0.kind.mediaType, size: $0.size, sha256: $0.sha256,
                url: "/api/v1/appeals/\(number)/attachments/\(try $0.requireID())")
        }
    }
}

/// `POST /api/v1/appeals` (idempotent with `Idempotency-Key`), `GET /api/v1/appeals` (mine),
/// `GET /api/v1/appeals/:number`.
struct AppealAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.grouped(RequireUserMiddleware(), RateLimitMiddleware(.submissions)).on(.POST, "appeals", body: .collect(maxSize: AppealUploads.maxBody), use: create)
            .idempotency(.own)
            .document(.init(
                "Подать обращение",
                description: "Регистрирует обращение и возвращает его с номером. С заголовком Idempotency-Key повтор того же запроса "
                    + "возвращает то же обращение (200, Idempotent-Replayed: true). Файлы — частями multipart/form-data (files).",
                body: AppealCardInput.self, multipart: true, status: 201, also: [200], response: AppealDTO.self))
        routes.get("appeals", use: mine).document(.init("Мои обращения (последние 100)"))
        routes.get("appeals", ":number", use: show).document(.init(
            "Обращение по номеру", description: "Заявителю и сотрудникам, чья роль охватывает исполнителя; остальным 404."))
        routes.get("appeals", ":number", "history", use: history).document(.init("История обращения"))
        routes.get("appeals", ":number", "attachments", ":id", use: attachment).document(.init(
            "Файл обращения", media: AttachmentKind.allCases.map(\.mediaType), uuid: ["id"]))
        routes.post("appeals", ":number", "reply", use: reply).document(.init(
            "Ответ заявителя на уточняющий вопрос исполнителя", body: ReplyBody.self))
        routes.post("appeals", ":number", "moderation", use: moderate).document(.init(
            "Решение модератора: принять или отклонить", body: ModerationInput.self))
        routes.get("moderation", "queue", use: queue).document(.init(
            "Очередь модерации, старые первыми",
            query: [
                .integer("limit", "Сколько на странице (1–100, по умолчанию 50)", minimum: 1, maximum: 100),
                .string("after", "Курсор следующей страницы (поле next)"),
            ]))
    }

    struct EventDTO: Content {
        var at: Date
        var action: String
        var fromStatus: AppealStatus?
        var toStatus: AppealStatus?
        var details: String?
        var comment: String?
    }

    @Sendable
    func history(request: Request) async throws -> [EventDTO] {
        let appeal = try await AppealQueries.readable(number: request.parameters.get("number") ?? "", on: request)
        // The applicant sees their side of the history; staff who may read the appeal see all of it.
        let scope = appeal.scope
        let staff = try await request.permits(.viewAppeals, in: scope)
        return try await AppealEvent.query(on: request.db).filter(\.$appeal.$id == appeal.requireID()).sort(\.$at).all()
            .filter { staff || $0.action.visibleToCitizen }
            .map {
                EventDTO(
                    at: $0.at, action: $0.action.rawValue, fromStatus: $0.fromStatus, toStatus: $0.toStatus,
                    details: staff || $0.action.detailsVisibleToCitizen ? $0.details : nil, comment: staff || $0.action.commentVisibleToCitizen ? $0.comment : nil)
            }
    }

    @Sendable
    func moderate(request: Request) async throws -> AppealDTO {
        let user = try request.requireUser()
        let number = request.parameters.get("number") ?? ""
        guard let appeal = try await Appeal.query(on: request.db).filter(\.$number == number).first() else {
            throw AppError.notFound
        }
        // Someone who may not moderate it learns nothing, not even that the number exists.
        let scope = appeal.scope
        guard try await request.permits(.moderate, in: scope) || appeal.userID == user.id else { throw AppError.notFound }
        let input = try request.content.decode(ModerationInput.self)
        let decided = try await ModerationService.decide(input, on: appeal, request: request)
        try await PersonalDataLog.record(decided, on: request)
        try await decided.$attachments.load(on: request.db)
        return try AppealDTO(decided)
    }

    struct QueuePage: Content {
        var items: [AppealDTO]
        var next: String?
    }

    /// Oldest first; `next` is an opaque cursor for the following page.
    @Sendable
    func queue(request: Request) async throws -> QueuePage {
        _ = try request.requireUser()
        let limit = min(max((try? request.query.get(Int.self, at: "limit")) ?? 50, 1), 100)
        var cursor: (year: Int, sequence: Int)?
        if let raw = try? request.query.get(String.self, at: "after") {
            let parts = raw.split(separator: "-")
            guard parts.count == 2, let year = Int(parts[0]), let sequence = Int(parts[1]) else {
                throw ValidationFailure([FieldError("after", .invalidValue)])
            }
            cursor = (year, sequence)
        }
        let items = try await ModerationService.queue(after: cursor, limit: limit, on: request)
        // Whole cards, applicants included: each one is a read.
        try await PersonalDataLog.record(items, on: request)
        // The files of the whole page in one query.
        let files = try await AppealAttachment.query(on: request.db).filter(\.$appeal.$id ~~ items.compactMap(\.id)).all()
        let byAppeal = Dictionary(grouping: files, by: { $0.$appeal.id })
        for item in items { item.$attachments.value = item.id.flatMap { byAppeal[$0] } ?? [] }
        let next = items.count == limit ? items.last.map { "\($0.year)-\($0.sequence)" } : nil
        return QueuePage(items: try items.map(AppealDTO.init), next: next)
    }

    @Sendable
    func create(request: Request) async throws -> Response {
        let user = try request.requireUser()
        let body = try request.content.decode(AppealCardInput.self)
        var errors = FieldErrors()
        if body.birthDate?.nonBlank != nil, body.parsedBirthDate == nil { errors.add("birthDate", .invalidValue) }
        if body.territoryId?.nonBlank != nil, body.parsedTerritoryID == nil { errors.add("territoryId", .notFound) }
        // An operator may register a call or a visit for someone else; everyone else files as themselves.
        var channel = IntakeChannel.api
        var ownerID: UUID? = try user.requireID()
        var registeredBy: UUID?
        if let raw = body.channel?.nonBlank {
            guard let requested = IntakeChannel(rawValue: raw) else {
                throw ValidationFailure([FieldError("channel", .invalidValue)])
            }
            if [.hotline, .reception].contains(requested) {
                let actor = try await request.requireActor()
                let tree = try await OrganisationQueries.tree(on: request.db)
                guard Policy.permitsAnywhere(actor, .registerOnBehalf, tree: tree) else { throw AppError.forbidden }
                channel = requested
                ownerID = nil
                registeredBy = actor.userID
            } else if requested != .api {
                throw ValidationFailure([FieldError("channel", .invalidValue)])
            }
        }
        try errors.throwIfAny()
        let draft = body.draft(defaults: ownerID == nil ? nil : user)
        let key = request.headers.first(name: "Idempotency-Key")?.trimmingWhitespace()
        if let key, key.isEmpty || key.count > 200 {
            throw ValidationFailure([FieldError("Idempotency-Key", .invalidValue)])
        }
        let outcome = try await AppealService.submit(
            .init(
                draft: draft, channel: channel, ownerID: ownerID, registeredBy: registeredBy,
                idempotencyKey: key, requestHash: body.fingerprint, attachments: body.files),
            on: request)
        if outcome.appeal.$attachments.value == nil { try await outcome.appeal.$attachments.load(on: request.db) }
        let response = try await AppealDTO(outcome.appeal).encodeResponse(status: outcome.replayed ? .ok : .created, for: request)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/appeals/\(outcome.appeal.number)")
        if outcome.replayed { response.headers.replaceOrAdd(name: "Idempotent-Replayed", value: "true") }
        return response
    }

    @Sendable
    func mine(request: Request) async throws -> [AppealDTO] {
        let user = try request.requireUser()
        return try await Appeal.query(on: request.db)
            .filter(\.$userID == user.requireID())
            .sort(\.$registeredAt, .descending)
            .limit(100)
            .with(\.$attachments)
            .all()
            .map { try AppealDTO($0).forApplicant() }
    }

    @Sendable
    func show(request: Request) async throws -> AppealDTO {
        let appeal = try await AppealQueries.readable(number: request.parameters.get("number") ?? "", on: request)
        try await appeal.$attachments.load(on: request.db)
        var dto = try AppealDTO(appeal)
        if [.answered, .closed].contains(appeal.status) {
            dto.answer = try await AppealAnswer.query(on: request.db).filter(\.$appeal.$id == appeal.requireID())
                .filter(\.$state == .approved).sort(\.$decidedAt, .descending).first()?.text
        }
        let scope = appeal.scope
        return try await request.permits(.viewAppeals, in: scope) ? dto : dto.forApplicant()
    }

    struct ReplyBody: Content {
        var text: String?
    }

    /// The applicant's answer to the executor's question.
    @Sendable
    func reply(request: Request) async throws -> AppealDTO {
        let appeal = try await AppealQueries.readable(number: request.parameters.get("number") ?? "", on: request)
        try await ProcessingService.citizenReply(try request.content.decode(ReplyBody.self).text, on: appeal, request: request)
        try await appeal.$attachments.load(on: request.db)
        return try AppealDTO(appeal).forApplicant()
    }

    @Sendable
    func attachment(request: Request) async throws -> Response {
        try await AppealQueries.attachment(request)
    }
}

enum AppealQueries {
    /// The appeal by number if the requester may read it: its owner, or staff whose role reaches the
    /// executor organisation (the platform, while it has none). Others get 404, not 403, so numbers
    /// cannot be probed.
    static func readable(number: String, on request: Request) async throws -> Appeal {
        let user = try request.requireUser()
        guard let appeal = try await Appeal.query(on: request.db).filter(\.$number == number).first() else {
            throw AppError.notFound
        }
        if appeal.userID == user.id { return appeal }
        let scope = appeal.scope
        guard try await request.permits(.viewAppeals, in: scope) else { throw AppError.notFound }
        try await PersonalDataLog.record(appeal, on: request)
        return appeal
    }

    /// `…/:number/attachments/:id` (or `files/:id` on the pages): the file's bytes for whoever may
    /// read the appeal, checked against the stored checksum. Images are shown inline, PDFs are
    /// downloaded; the browser is told not to guess the type.
    static func attachment(_ request: Request) async throws -> Response {
        let appeal = try await readable(number: request.parameters.get("number") ?? "", on: request)
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let file = try await AppealAttachment.query(on: request.db).filter(\.$id == id)
                .filter(\.$appeal.$id == appeal.requireID()).first()
        else { throw AppError.notFound }
        // A file of an answer reaches the applicant only once the answer is approved and sent.
        if let answerID = file.answerID {
            let scope = appeal.scope
            if try await !request.permits(.viewAppeals, in: scope) {
                guard try await AppealAnswer.find(answerID, on: request.db)?.state == .approved else { throw AppError.notFound }
            }
        }
        return try await AppealUploads.download(
            request, key: file.storageKey, sha256: file.sha256, fileName: file.fileName, kind: file.kind, cacheControl: "private, no-store")
    }
}

enum AppealUploads {
    /// Five files of 10 MB and the card around them; anything larger is refused before it is read.
    static let maxBody: ByteCount = "52mb"

    /// RFC 6266: an ASCII fallback name plus the real (Cyrillic) one, percent-encoded.
    /// A stored file as a download: its own type, never sniffed, and sandboxed if opened directly.
    static func download(
        _ request: Request, key: String, sha256: String, fileName: String, kind: AttachmentKind, cacheControl: String
    ) async throws -> Response {
        let bytes = try await request.application.fileStore.read(key, sha256: sha256)
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: kind.mediaType)
        headers.replaceOrAdd(name: .contentDisposition, value: disposition(fileName: fileName, kind: kind))
        headers.replaceOrAdd(name: .cacheControl, value: cacheControl)
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        // Opened directly, a file runs no script and reaches nothing of the site.
        headers.replaceOrAdd(name: "Content-Security-Policy", value: "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'")
        return Response(status: .ok, headers: headers, body: .init(buffer: bytes))
    }

    static func disposition(fileName: String, kind: AttachmentKind) -> String {
        let ascii = String(fileName.unicodeScalars.map { $0.isASCII && $0 != "\"" && $0 != "\\" ? Character($0) : "_" })
        // RFC 5987 attr-char: ASCII letters and digits and a few marks; everything else %-escaped as UTF-8.
        let attrChars = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+.^_`|~-")
        let encoded = fileName.addingPercentEncoding(withAllowedCharacters: attrChars) ?? ascii
        return "\(kind.isImage ? "inline" : "attachment"); filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }
}
