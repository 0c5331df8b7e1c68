import Domain
import Fluent
import Vapor

/// The citizen's pages: file an appeal (choose the subcategory, then fill the card with its questions),
/// the list of one's appeals, and an appeal's card with its history.
struct AppealPagesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("appeals", "new", use: newForm)
        routes.grouped(RequireUserMiddleware(), RateLimitMiddleware(.submissions)).on(.POST, "appeals", body: .collect(maxSize: AppealUploads.maxBody), use: create)
        routes.get("appeals", ":number", "files", ":id", use: file)
        routes.get("my", "appeals", use: mine)
        routes.get("my", "appeals", ":number", use: card)
        routes.post("my", "appeals", ":number", "reply", use: reply)
    }

    // MARK: Filing

    struct ChoosePage: Encodable {
        struct Group: Encodable {
            var name: String
            var subcategories: [Item]
        }

        struct Item: Encodable {
            var code: String
            var name: String
            var fastTrack: Bool
        }

        var layout: Layout
        var query: String
        var groups: [Group]
        var found: Int
        var onBehalf: Bool
        /// A composed claim's link token, carried to the card so the claim is attached.
        var claim: String?
        /// The consultation being turned into an appeal, carried through the choice.
        var chat: String?
    }

    struct FormPage: Encodable {
        struct Question: Encodable {
            var code: String
            var label: String
            var type: String
            var required: Bool
            var options: [Choice]
            var value: String
            var error: String?
            var isText: Bool
            var isNumber: Bool
            var isDate: Bool
            var isYesNo: Bool
            var isChoice: Bool
            var yes: Bool
            var no: Bool
        }

        var layout: Layout
        var subcategoryCode: String
        var subcategoryName: String
        var categoryName: String
        var term: String
        var fastTrack: Bool
        var kind: String
        var values: [String: String]
        var errors: [String: String]
        var hasErrors: Bool
        var territories: [Choice]
        var questions: [Question]
        var consent: Bool
        /// An operator registering a call or a visit: the applicant is someone else.
        var onBehalf: Bool
        var channels: [Choice]
        /// Every problem with the chosen files, one line per file; they must be chosen again.
        var attachmentErrors: [String]
        var maxFiles: Int
        /// The composed claim that will be attached (its link token and title).
        var claimToken: String?
        var claimTitle: String?
        /// Made from a consultation: its id (the channel is then «чат»).
        var chat: String?
    }

    /// Step 1 without `?subcategory=`: choose (with search over names and keywords). Step 2: the card.
    /// Operators (hotline, reception) file on a caller's behalf with `?onBehalf=1`.
    private func onBehalf(_ request: Request, asked: Bool) async throws -> Bool {
        guard asked else { return false }
        let actor = try await request.requireActor()
        guard Policy.permitsAnywhere(actor, .registerOnBehalf, tree: try await OrganisationQueries.tree(on: request.db)) else {
            throw AppError.forbidden
        }
        return true
    }

    /// The consultation an appeal is filed from: only an operator may carry it into an appeal (its citizen's
    /// name, e-mail and words), a chat another operator holds only that operator, and each chat only once.
    private func operatorsChat(_ request: Request, _ id: UUID) async throws -> ConsultationRecord {
        let actor = try await request.requireActor()
        guard Policy.permitsAnywhere(actor, .answerConsultations, tree: try await OrganisationQueries.tree(on: request.db)),
            let record = try await ConsultationRecord.find(id, on: request.db), record.operatorID == nil || record.operatorID == actor.userID
        else { throw AppError.forbidden }
        guard record.appealID == nil else { throw AppError.conflict("This consultation already became an appeal") }
        return record
    }

    @Sendable
    func newForm(request: Request) async throws -> Response {
        let user = try request.requireUser()
        let behalf = try await onBehalf(request, asked: (try? request.query.get(String.self, at: "onBehalf")) == "1")
        if let code = (try? request.query.get(String.self, at: "subcategory"))?.nonBlank {
            guard let sub = try await Subcategory.query(on: request.db).filter(\.$code == code).filter(\.$isRetired == false)
                .with(\.$category).first()
            else { throw AppError.notFound }
            var values =
                behalf
                ? [:]
                : [
                    "surname": user.surname, "name": user.name, "patronymic": user.patronymic ?? "", "email": user.email ?? "",
                    "phone": user.phone ?? "",
                ]
            let claim = try await Self.claim(request, token: try? request.query.get(String.self, at: "claim"))
            if let claim { values.merge(Self.values(from: claim.claim), uniquingKeysWith: { _, new in new }) }
            var chat: String?
            if behalf, let id = chatParameter(request).flatMap(UUID.init(uuidString:)) {
                let consultation = try await operatorsChat(request, id)
                // «В обращение»: what the chat already says.
                chat = id.uuidString
                values["name"] = consultation.citizenName
                values["email"] = consultation.citizenEmail ?? ""
                values["text"] = String(try await ConsultationService.citizenText(id, on: request.db).prefix(AppealRules.maximumText))
                values["channel"] = IntakeChannel.chat.rawValue
            }
            return try await request.render(
                "appeals/form",
                try await formPage(
                    request, subcategory: sub, values: values, answers: [:], failure: nil, consent: false, onBehalf: behalf,
                    files: [], claimToken: claim == nil ? nil : try? request.query.get(String.self, at: "claim"), chat: chat))
        }
        let query = ((try? request.query.get(String.self, at: "q")) ?? "").trimmingWhitespace()
        let spec = try await ClassifierService.current(on: request.db)
        // Stems and synonyms (SearchText): the topics matching the most query words are shown.
        let terms = SearchText.queryTerms(query)
        let scores = spec.categories.flatMap { category in
            category.subcategories.map { sub in
                (sub.code, SearchText.matched(terms, in: Set(SearchText.stems(([category.name, sub.name] + sub.keywords).joined(separator: " ")))))
            }
        }
        let best = scores.map(\.1).max() ?? 0
        let shown = Set(scores.filter { terms.isEmpty || ($0.1 == best && best > 0) }.map(\.0))
        var found = 0
        let groups = spec.categories.compactMap { category -> ChoosePage.Group? in
            let items = category.subcategories.filter { shown.contains($0.code) }
                .map { ChoosePage.Item(code: $0.code, name: $0.name, fastTrack: $0.fastTrack) }
            found += items.count
            return items.isEmpty ? nil : ChoosePage.Group(name: category.name, subcategories: items)
        }
        let claimToken = try? request.query.get(String.self, at: "claim")
        let claimFound = try await Self.claim(request, token: claimToken) != nil
        return try await request.render(
            "appeals/choose",
            ChoosePage(
                layout: await Layout.make(for: request, title: "Новое обращение"), query: query, groups: groups, found: found,
                onBehalf: behalf, claim: claimFound ? claimToken : nil, chat: behalf ? chatParameter(request) : nil))
    }

    private func formPage(
        _ request: Request, subcategory: Subcategory, values: [String: String], answers: [String: String],
        failure: ValidationFailure?, consent: Bool, onBehalf: Bool, files: [AppealService.IncomingFile], claimToken: String? = nil,
        chat: String? = nil
    ) async throws -> FormPage {
        let claim = try await Self.claim(request, token: claimToken)
        let errors = failure.map(FormErrors.russian) ?? [:]
        var attachmentErrors: [String] = []
        if let message = errors["attachments"] { attachmentErrors.append(message) }
        for (index, file) in files.enumerated() {
            if let message = errors["attachments[\(index)]"] { attachmentErrors.append("«\(file.fileName)»: \(message)") }
        }
        if failure != nil, !files.isEmpty {
            attachmentErrors.append("Браузер не сохраняет выбранные файлы: прикрепите их ещё раз.")
        }
        let territories = try await OrganisationQueries.territories(on: request.db).filter { $0.kind != .region }
        let questions = subcategory.questions.map { question in
            let value = answers[question.code] ?? ""
            return FormPage.Question(
                code: question.code, label: question.label, type: question.type.rawValue, required: question.required,
                options: (question.options ?? []).map { Choice(value: $0, label: $0, selected: $0 == value) }, value: value,
                error: errors["answers.\(question.code)"], isText: question.type == .text, isNumber: question.type == .number,
                isDate: question.type == .date, isYesNo: question.type == .yesno, isChoice: question.type == .choice,
                yes: value == "да", no: value == "нет")
        }
        return FormPage(
            layout: await Layout.make(for: request, title: "Новое обращение"), subcategoryCode: subcategory.code,
            subcategoryName: subcategory.name, categoryName: subcategory.category.name,
            term: Strings.term(subcategory.answerDays, subcategory.dayType), fastTrack: subcategory.fastTrack,
            kind: Strings.title(subcategory.kind), values: values, errors: errors, hasErrors: failure != nil,
            territories: [Choice(value: "", label: "— выберите —", selected: (values["territoryId"] ?? "").isEmpty)]
                + territories.map {
                    Choice(value: $0.id?.uuidString ?? "", label: $0.name, selected: $0.id?.uuidString == values["territoryId"])
                },
            questions: questions, consent: consent, onBehalf: onBehalf,
            channels: [IntakeChannel.hotline, .reception].map {
                Choice(value: $0.rawValue, label: Strings.title($0), selected: $0.rawValue == values["channel"])
            }, attachmentErrors: attachmentErrors, maxFiles: AttachmentRules.maxFiles - (claim == nil ? 0 : 1),
            claimToken: claim == nil ? nil : claimToken, claimTitle: claim.map { $0.claim.document.subtitle }, chat: chat)
    }

    @Sendable
    func create(request: Request) async throws -> Response {
        let user = try request.requireUser()
        let form = try request.content.decode(AppealCardInput.self)
        let chatID = form.chat?.nonBlank.flatMap(UUID.init(uuidString:))
        let channel =
            chatID != nil
            ? IntakeChannel.chat : form.channel.flatMap(IntakeChannel.init(rawValue:)).flatMap { [.hotline, .reception].contains($0) ? $0 : nil }
        let behalf = try await onBehalf(request, asked: channel != nil)
        if let chatID { _ = try await operatorsChat(request, chatID) }
        let draft = form.draft(defaults: nil)
        return try await request.submitForm("appeals/form") {
            if form.birthDate?.nonBlank != nil && form.parsedBirthDate == nil {
                throw ValidationFailure([FieldError("birthDate", .invalidValue)])
            }
            var files = form.files
            if let token = form.claim?.nonBlank {
                guard let claim = try await Self.claim(request, token: token) else { throw ValidationFailure([FieldError("claim", .notFound)]) }
                files.append(try ClaimService.attachment(claim.claim, created: claim.draft.createdAt))
            }
            let outcome = try await AppealService.submit(
                .init(
                    draft: draft, channel: channel ?? .portal, ownerID: behalf ? nil : try user.requireID(),
                    registeredBy: behalf ? try user.requireID() : nil, attachments: files), on: request)
            let flash = "Обращение № \(outcome.appeal.number) зарегистрировано."
            if let chatID {
                // The chat says so to the citizen and closes with that outcome; the operator returns to the console.
                try await ConsultationService.appealCreated(chatID, appeal: outcome.appeal, by: user.id, app: request.application, now: request.now)
                return request.seeOther("/operator", flash: flash)
            }
            // The operator goes on to the next call; the citizen to the appeal's card.
            return request.seeOther(behalf ? "/appeals/new?onBehalf=1" : "/my/appeals/\(outcome.appeal.number)", flash: flash)
        } onInvalid: { failure in
            guard let code = form.subcategoryCode?.nonBlank,
                let sub = try await Subcategory.query(on: request.db).filter(\.$code == code).with(\.$category).first()
            else { throw AppError.notFound }
            var values: [String: String] = [:]
            for (key, value) in [
                ("surname", form.surname), ("name", form.name), ("patronymic", form.patronymic), ("birthDate", form.birthDate),
                ("phone", form.phone), ("email", form.email), ("locality", form.locality), ("conflictName", form.conflictName),
                ("conflictInn", form.conflictInn), ("conflictAddress", form.conflictAddress), ("actionsTaken", form.actionsTaken),
                ("desiredResult", form.desiredResult), ("text", form.text), ("problemAddress", form.problemAddress),
                ("territoryId", form.territoryId), ("channel", form.channel),
            ] { values[key] = value ?? "" }
            return try await formPage(
                request, subcategory: sub, values: values, answers: form.answers ?? [:], failure: failure,
                consent: form.consent?.value ?? false, onBehalf: behalf, files: form.files, claimToken: form.claim?.nonBlank,
                chat: chatID?.uuidString)
        }
    }

    private func chatParameter(_ request: Request) -> String? {
        (try? request.query.get(String.self, at: "chat"))?.nonBlank
    }

    /// The composed claim behind a token, if it is still there.
    static func claim(_ request: Request, token: String?) async throws -> (draft: ClaimDraft, claim: Claim)? {
        guard let token = token?.nonBlank else { return nil }
        return try await ClaimService.find(token: token, on: request)
    }

    /// What a claim already says about the dispute, for the appeal card (cut to the card's limits: the
    /// whole claim is attached anyway).
    static func values(from claim: Claim) -> [String: String] {
        let document = claim.document
        func cut(_ text: String, _ limit: Int) -> String { text.count <= limit ? text : String(text.prefix(limit - 1)) + "…" }
        var values = [
            "conflictName": cut(claim.seller.name, AppealRules.maximumField),
            "conflictAddress": cut(claim.seller.address, AppealRules.maximumField),
            "text": cut(document.facts.joined(separator: "\n\n"), AppealRules.maximumText),
            "desiredResult": cut(document.numberedDemands.joined(separator: "\n"), AppealRules.maximumText),
            "actionsTaken": "Составлена претензия " + document.subtitle + " от " + document.date.dotted + " (приложена).",
        ]
        if let inn = claim.seller.inn { values["conflictInn"] = inn }
        return values
    }

    @Sendable
    func file(request: Request) async throws -> Response {
        try await AppealQueries.attachment(request)
    }

    // MARK: Following

    struct ListPage: Encodable {
        struct Row: Encodable {
            var number: String
            var subcategory: String
            var status: String
            var registered: String
            var due: String
        }

        var layout: Layout
        var rows: [Row]
        var empty: Bool
    }

    @Sendable
    func mine(request: Request) async throws -> Response {
        let user = try request.requireUser()
        let appeals = try await Appeal.query(on: request.db).filter(\.$userID == user.requireID())
            .sort(\.$registeredAt, .descending).limit(100).all()
        return try await request.render(
            "appeals/mine",
            ListPage(
                layout: await Layout.make(for: request, title: "Мои обращения"),
                rows: appeals.map {
                    .init(
                        number: $0.number, subcategory: $0.subcategoryName, status: Strings.title($0.status),
                        registered: Strings.date($0.registeredAt), due: Strings.date($0.answerDueAt))
                }, empty: appeals.isEmpty))
    }

    struct CardPage: Encodable {
        struct Event: Encodable {
            var at: String
            var text: String
            var comment: String?
        }

        var layout: Layout
        var number: String
        var status: String
        var statusCode: String
        var category: String
        var subcategory: String
        var fastTrack: Bool
        var text: String
        var problemAddress: String?
        var conflictName: String?
        var executor: String?
        var registered: String
        var due: String
        var rejectReason: String?
        var events: [Event]
        var attachments: [AttachmentLink]
        var answer: String?
        var outcome: String?
        var answered: String?
        var rating: Int?
        /// The executor's open question, when there is one; the reply form is shown then.
        var question: String?
        var errors: [String: String] = [:]
        var answerFiles: [AttachmentLink] = []
    }

    struct ReplyInput: Content {
        var text: String?
    }

    @Sendable
    func reply(request: Request) async throws -> Response {
        let appeal = try await AppealQueries.readable(number: request.parameters.get("number") ?? "", on: request)
        let input = try request.content.decode(ReplyInput.self)
        do {
            try await ProcessingService.citizenReply(input.text, on: appeal, request: request)
            return request.seeOther("/my/appeals/\(appeal.number)", flash: "Спасибо! Информация передана исполнителю.")
        } catch let failure as ValidationFailure {
            return try await cardResponse(request, appeal: appeal, errors: FormErrors.russian(failure), status: .unprocessableEntity)
        }
    }

    @Sendable
    func card(request: Request) async throws -> Response {
        let appeal = try await AppealQueries.readable(number: request.parameters.get("number") ?? "", on: request)
        return try await cardResponse(request, appeal: appeal)
    }

    private func cardResponse(_ request: Request, appeal: Appeal, errors: [String: String] = [:], status: HTTPResponseStatus = .ok)
        async throws -> Response
    {
        let events = try await AppealEvent.query(on: request.db).filter(\.$appeal.$id == appeal.requireID()).sort(\.$at).all()
            .filter(\.action.visibleToCitizen)
        let answer = [.answered, .closed].contains(appeal.status)
            ? try await AppealAnswer.query(on: request.db).filter(\.$appeal.$id == appeal.requireID()).filter(\.$state == .approved)
                .sort(\.$decidedAt, .descending).first()
            : nil
        let executor = try await appeal.$executorOrganisation.id.asyncFlatMap { try await Organisation.find($0, on: request.db) }
        return try await request.render(
            "appeals/card",
            CardPage(
                layout: await Layout.make(for: request, title: "Обращение № \(appeal.number)"), number: appeal.number,
                status: Strings.title(appeal.status), statusCode: appeal.status.rawValue, category: appeal.categoryName,
                subcategory: appeal.subcategoryName, fastTrack: appeal.fastTrack, text: appeal.text,
                problemAddress: appeal.problemAddress, conflictName: appeal.conflictName, executor: executor?.name,
                registered: Strings.dateTime(appeal.registeredAt), due: Strings.date(appeal.answerDueAt),
                rejectReason: appeal.rejectReason.map(Strings.title),
                events: events.map {
                    .init(at: Strings.dateTime($0.at), text: Strings.title($0.action), comment: $0.action.commentVisibleToCitizen ? $0.comment : nil)
                }, attachments: try await AttachmentLink.all(of: appeal, on: request.db), answer: answer?.text,
                outcome: appeal.outcome.map(Strings.title), answered: appeal.answeredAt.map(Strings.dateTime), rating: appeal.rating,
                question: appeal.awaitingCitizen && appeal.userID == request.currentUser?.id
                    ? events.last(where: { $0.action == .infoRequested })?.comment : nil,
                errors: errors, answerFiles: try await answer.asyncFlatMap { try await AttachmentLink.all(of: appeal, answer: $0.id, on: request.db) } ?? []),
            status: status)
    }
}

/// A file of an appeal as the pages link it: the citizen's card and the moderator's.
struct AttachmentLink: Encodable {
    var url: String
    var name: String
    var size: String
    var isImage: Bool

    /// The appeal's own files, or with `answer` the files of that answer.
    static func all(of appeal: Appeal, answer: UUID? = nil, on db: any Database) async throws -> [AttachmentLink] {
        try await AppealAttachment.query(on: db).filter(\.$appeal.$id == appeal.requireID()).filter(\.$answerID == answer)
            .sort(\.$position).all().map {
            AttachmentLink(
                url: "/appeals/\(appeal.number)/files/\(try $0.requireID())", name: $0.fileName, size: Strings.fileSize($0.size),
                isImage: $0.kind.isImage)
        }
    }
}
