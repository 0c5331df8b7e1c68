import Domain
import Fluent
import Foundation
import Vapor

/// The consultation over HTTP: the citizen's window (`/chat/…` with the session cookie and CSRF header,
/// `/api/v1/consultations/…` for other front ends) and the operator's console (`/operator…`,
/// `/api/v1/operator/…`). Messages themselves go over the WebSocket (`ChatSocketController`).
struct ConsultationController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        citizenRoutes(routes.grouped("chat"))
        routes.get("operator", use: consolePage)
        operatorRoutes(routes.grouped("operator"))
    }

    func bootAPI(_ api: any RoutesBuilder) {
        citizenRoutes(api.grouped("consultations"))
        operatorRoutes(api.grouped("operator"))
    }

    private func citizenRoutes(_ routes: any RoutesBuilder) {
        let key = APIOperation.Parameter.header("X-Chat-Token", "Ключ чата из ответа start (или поле token в теле)")
        routes.post("start", use: start).idempotency(.none).document(.init(
            "Начать онлайн-консультацию",
            description: "Возвращает ключ чата: с ним гражданин без входа пишет в чат (WebSocket /api/v1/ws) и управляет им.",
            access: .optionalToken, body: StartInput.self, status: 201, response: ConsultationService.Started.self))
        routes.post(":id", "operator", use: askForOperator).document(.init(
            "Позвать консультанта", access: .optionalToken, query: [key], uuid: ["id"]))
        routes.post(":id", "close", use: citizenClose).document(.init(
            "Завершить консультацию", access: .optionalToken, query: [key], uuid: ["id"]))
        routes.post(":id", "transcript", use: transcript).document(.init(
            "Прислать переписку на почту", access: .optionalToken, query: [key], body: TokenInput.self, status: 202, uuid: ["id"]))
        routes.grouped(RateLimitMiddleware(.submissions)).post(":id", "appeal", use: leaveMessage).document(.init(
            "Оставить сообщение: консультация становится обращением", access: .optionalToken, query: [key],
            body: AppealCardInput.self, status: 201, response: AppealReply.self, uuid: ["id"]))
        routes.get(":id", "appeal-form", use: appealForm).document(.init(
            "Что нужно форме обращения из чата: темы, территории, текст чата", access: .optionalToken, query: [key],
            uuid: ["id"]))
    }

    private func operatorRoutes(_ routes: any RoutesBuilder) {
        routes.get("state", use: consoleState).document(.init("Пульт консультанта: очередь и свои чаты"))
        routes.post("presence", use: presence).document(.init(
            "Статус консультанта (на месте, перерыв, нет) и сколько чатов сразу", body: PresenceInput.self))
        routes.post("chats", ":id", "take", use: take).document(.init("Взять чат из очереди", status: 204, uuid: ["id"]))
        routes.post("chats", ":id", "transfer", use: transfer).document(.init(
            "Передать чат другому консультанту", body: TransferInput.self, status: 204, uuid: ["id"]))
        routes.post("chats", ":id", "close", use: operatorClose).document(.init(
            "Закрыть чат с итогом", body: CloseInput.self, status: 204, uuid: ["id"]))
        routes.get("chats", ":id", "appeal", use: toAppeal).document(.init(
            "Оформить чат обращением: переход к форме горячей линии", status: 303, uuid: ["id"]))
        routes.get("quick", use: quickAnswers).document(.init(
            "Готовые ответы из FAQ для консультанта", query: [.string("q", "Слова вопроса")]))
    }

    // MARK: Citizen

    struct StartInput: Content {
        var name: String?
        var email: String?
        var text: String?
    }

    @Sendable
    func start(request: Request) async throws -> Response {
        try request.application.chatStartLimits.check(request.clientAddress, now: request.now)
        let input = try request.content.decode(StartInput.self)
        let user = request.currentUser
        let started = try await ConsultationService.start(
            name: input.name, email: input.email, text: input.text, citizen: user, app: request.application, now: request.now)
        return try await started.encodeResponse(status: .created, for: request)
    }

    struct TokenInput: Content {
        var token: String?
        var email: String?
    }

    /// The consultation, if this request is its citizen's (by key, or by account).
    private func citizens(_ request: Request) async throws -> ConsultationRecord {
        let id = try request.uuidParameter("id")
        let token = (try? request.content.decode(TokenInput.self))?.token ?? request.headers.first(name: "X-Chat-Token")
        guard let record = try await ConsultationRecord.find(id, on: request.db) else { throw AppError.notFound }
        if let token, Secrets.constantTimeEquals(Secrets.hash(token), record.tokenHash) { return record }
        if let user = request.currentUser?.id, user == record.citizenID { return record }
        throw AppError.notFound
    }

    struct StateReply: Content {
        var state: ConsultationState
    }

    @Sendable
    func askForOperator(request: Request) async throws -> StateReply {
        let record = try await citizens(request)
        return StateReply(state: try await ConsultationService.askForOperator(try record.requireID(), app: request.application, now: request.now))
    }

    @Sendable
    func citizenClose(request: Request) async throws -> StateReply {
        let record = try await citizens(request)
        guard record.state != .closed else { return StateReply(state: .closed) }
        try await ConsultationService.close(
            try record.requireID(), outcome: record.state == .active ? .answered : .abandoned, by: nil, app: request.application,
            now: request.now)
        return StateReply(state: .closed)
    }

    @Sendable
    func transcript(request: Request) async throws -> HTTPStatus {
        let record = try await citizens(request)
        try request.application.chatStartLimits.check("mail:" + request.clientAddress, now: request.now)
        let input = try request.content.decode(TokenInput.self)
        try await ConsultationService.mailTranscript(record, to: input.email, app: request.application, now: request.now)
        return .accepted
    }

    struct AppealForm: Content {
        struct Topic: Content {
            var code: String
            var name: String
            var group: String
            /// The subcategory's own questions (e.g. «Дата покупки»), asked in the form.
            var questions: [ExtraQuestion]
        }

        struct Place: Content {
            var id: UUID
            var name: String
        }

        var topics: [Topic]
        var territories: [Place]
        /// What the citizen wrote in the chat, for the appeal's text.
        var text: String
    }

    /// What the «leave a message» form needs: topics with their questions, territories, the chat's words.
    @Sendable
    func appealForm(request: Request) async throws -> AppealForm {
        let record = try await citizens(request)
        guard record.appealID == nil else { throw AppError.conflict("An appeal was already made from this chat") }
        let spec = try await ClassifierService.current(on: request.db)
        let territories = try await OrganisationQueries.territories(on: request.db).filter { $0.kind != .region }
        return AppealForm(
            topics: spec.categories.flatMap { category in
                category.subcategories.map { .init(code: $0.code, name: $0.name, group: category.name, questions: $0.questions) }
            },
            territories: territories.compactMap { t in t.id.map { AppealForm.Place(id: $0, name: t.name) } },
            text: try await ConsultationService.citizenText(try record.requireID(), on: request.db))
    }

    struct AppealReply: Content {
        var number: String
    }

    /// «Оставить сообщение»: the citizen's card, with what they wrote in the chat, becomes an appeal (channel «чат»).
    @Sendable
    func leaveMessage(request: Request) async throws -> Response {
        let record = try await citizens(request)
        guard record.appealID == nil else { throw AppError.conflict("An appeal was already made from this chat") }
        let body = try request.content.decode(AppealCardInput.self)
        var draft = body.draft(defaults: nil)
        if draft.text?.nonBlank == nil {
            draft.text = try await ConsultationService.citizenText(try record.requireID(), on: request.db)
        }
        let outcome = try await AppealService.submit(
            .init(draft: draft, channel: .chat, ownerID: record.citizenID, registeredBy: nil), on: request)
        try await ConsultationService.appealCreated(
            try record.requireID(), appeal: outcome.appeal, by: nil, app: request.application, now: request.now)
        return try await AppealReply(number: outcome.appeal.number).encodeResponse(status: .created, for: request)
    }

    // MARK: Operator

    private func requireOperator(_ request: Request) async throws -> Actor {
        let actor = try await request.requireActor()
        guard Policy.permitsAnywhere(actor, .answerConsultations, tree: try await OrganisationQueries.tree(on: request.db)) else {
            throw AppError.forbidden
        }
        return actor
    }

    struct ConsoleState: Content {
        struct Chat: Content {
            var id: UUID
            var state: ConsultationState
            var stateTitle: String
            var citizenName: String
            var operatorName: String?
            var mine: Bool
            var createdAt: Date
            var lastSeq: Int64
        }

        struct Colleague: Content {
            var id: UUID
            var name: String
            var status: ChatOperator.Status
            var statusTitle: String
            var active: Int
            var capacity: Int
        }

        var me: Colleague
        var officeOpen: Bool
        var queue: [Chat]
        var mine: [Chat]
        var bot: [Chat]
        var colleagues: [Colleague]
    }

    static func state(for actor: Actor, app: Application, now: Date, db: any Database) async throws -> ConsoleState {
        let operators = try await ConsultationService.operators(app: app, now: now)
        func colleague(_ o: ConsultationService.Operator) -> ConsoleState.Colleague {
            .init(
                id: o.userID, name: o.fullName, status: o.status, statusTitle: ChatStrings.presence(o.status), active: o.active,
                capacity: o.capacity)
        }
        let me =
            operators.first { $0.userID == actor.userID }.map(colleague)
            ?? .init(id: actor.userID, name: "", status: .offline, statusTitle: ChatStrings.presence(.offline), active: 0, capacity: 0)
        let names = Dictionary(operators.map { ($0.userID, $0.firstName) }, uniquingKeysWith: { a, _ in a })
        let open = try await ConsultationRecord.query(on: db).filter(\.$state != .closed).sort(\.$createdAt).limit(200).all()
        let ids = open.compactMap(\.id)
        let topics = ids.isEmpty ? [] : try await ChatTopic.query(on: db).filter(\.$id ~~ ids).all()
        let seqBy = Dictionary(topics.compactMap { t in t.id.map { ($0, t.lastSeq) } }, uniquingKeysWith: max)
        let chats = open.compactMap { record -> ConsoleState.Chat? in
            guard let id = record.id else { return nil }
            return .init(
                id: id, state: record.state, stateTitle: ChatStrings.state(record.state), citizenName: record.citizenName,
                operatorName: record.operatorID.flatMap { names[$0] }, mine: record.operatorID == actor.userID,
                createdAt: record.createdAt, lastSeq: seqBy[id] ?? 0)
        }
        return ConsoleState(
            me: me, officeOpen: app.officeIsOpen(now), queue: chats.filter { $0.state == .waiting },
            mine: chats.filter { $0.mine && $0.state == .active }, bot: chats.filter { $0.state == .bot },
            colleagues: operators.filter { $0.userID != actor.userID }.map(colleague))
    }

    @Sendable
    func consoleState(request: Request) async throws -> ConsoleState {
        let actor = try await requireOperator(request)
        return try await Self.state(for: actor, app: request.application, now: request.now, db: request.db)
    }

    struct PresenceInput: Content {
        var status: String?
        var capacity: Int?
    }

    @Sendable
    func presence(request: Request) async throws -> ConsoleState {
        let actor = try await requireOperator(request)
        let input = try request.content.decode(PresenceInput.self)
        guard let status = input.status.flatMap(ChatOperator.Status.init(rawValue:)) else {
            throw ValidationFailure([FieldError("status", .invalidValue)])
        }
        try await ConsultationService.setPresence(actor.userID, status: status, capacity: input.capacity, app: request.application, now: request.now)
        return try await Self.state(for: actor, app: request.application, now: request.now, db: request.db)
    }

    @Sendable
    func take(request: Request) async throws -> HTTPStatus {
        let actor = try await requireOperator(request)
        try await ConsultationService.take(try request.uuidParameter("id"), by: actor.userID, app: request.application, now: request.now)
        return .noContent
    }

    struct TransferInput: Content {
        var to: String?
    }

    @Sendable
    func transfer(request: Request) async throws -> HTTPStatus {
        let actor = try await requireOperator(request)
        let input = try request.content.decode(TransferInput.self)
        guard let to = input.to.flatMap(UUID.init(uuidString:)) else { throw ValidationFailure([FieldError("to", .required)]) }
        try await ConsultationService.transfer(
            try request.uuidParameter("id"), to: to, by: actor.userID, app: request.application, now: request.now)
        return .noContent
    }

    struct CloseInput: Content {
        var outcome: String?
        /// What the chat was about (a sphere code), for the statistics.
        var sphere: String?
    }

    @Sendable
    func operatorClose(request: Request) async throws -> HTTPStatus {
        let actor = try await requireOperator(request)
        let input = try request.content.decode(CloseInput.self)
        guard let outcome = input.outcome.flatMap(ConsultationOutcome.init(rawValue:)), outcome != .appealCreated else {
            throw ValidationFailure([FieldError("outcome", .invalidValue)])
        }
        let sphere = input.sphere?.nonBlank
        if let sphere, !ContactService.spheres.contains(sphere) { throw ValidationFailure([FieldError("sphere", .invalidValue)]) }
        try await ConsultationService.close(
            try request.uuidParameter("id"), outcome: outcome, sphere: sphere, by: actor.userID, app: request.application, now: request.now)
        return .noContent
    }

    /// «В обращение»: the hotline's appeal form, pre-filled from the chat; filing it closes the chat.
    @Sendable
    func toAppeal(request: Request) async throws -> Response {
        _ = try await requireOperator(request)
        let id = try request.uuidParameter("id")
        guard try await ConsultationRecord.find(id, on: request.db) != nil else { throw AppError.notFound }
        return request.redirect(to: "/appeals/new?onBehalf=1&chat=\(id.uuidString)")
    }

    struct QuickAnswer: Content {
        var question: String
        var answer: String
        var url: String
    }

    /// FAQ entries for a question, to paste into the chat.
    @Sendable
    func quickAnswers(request: Request) async throws -> [QuickAnswer] {
        _ = try await requireOperator(request)
        let query = ((try? request.query.get(String.self, at: "q")) ?? "").trimmingWhitespace()
        guard !query.isEmpty else { return [] }
        let matcher = try await request.application.botCache.matcher(on: request.db, now: request.now)
        let ids = matcher.matches(query, limit: 5).compactMap { UUID(uuidString: $0.entryID) }
        guard !ids.isEmpty else { return [] }
        let entries = try await FAQEntry.query(on: request.db).filter(\.$id ~~ ids).all()
        let byID = Dictionary(entries.compactMap { e in e.id.map { ($0, e) } }, uniquingKeysWith: { a, _ in a })
        return ids.compactMap { byID[$0] }.map { QuickAnswer(question: $0.question, answer: Markdown.plainText($0.answer), url: $0.url) }
    }

    struct ConsolePage: Encodable {
        var layout: Layout
        var outcomes: [Choice]
        var spheres: [Choice]
    }

    @Sendable
    func consolePage(request: Request) async throws -> Response {
        _ = try await requireOperator(request)
        return try await request.render(
            "chat/console",
            ConsolePage(
                layout: await Layout.make(for: request, title: "Онлайн-консультации"),
                outcomes: ConsultationOutcome.allCases.filter { $0 != .appealCreated }.map {
                    Choice(value: $0.rawValue, label: ChatStrings.outcome($0), selected: false)
                },
                spheres: try await StatNames.load(on: request.db).spheres.sorted { $0.value < $1.value }.map {
                    Choice(value: $0.key, label: $0.value, selected: false)
                }))
    }
}

extension Application {
    private struct ChatStartLimitsKey: StorageKey { typealias Value = ClientRateLimits }

    /// New chats and transcript mails per client address.
    var chatStartLimits: ClientRateLimits {
        get {
            guard let limits = storage[ChatStartLimitsKey.self] else { fatalError("chatStartLimits is set in configure") }
            return limits
        }
        set { storage[ChatStartLimitsKey.self] = newValue }
    }
}
