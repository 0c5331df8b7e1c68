import Domain
import Fluent
import Foundation
import Vapor

/// «Составить претензию»: `/claims` (the seven templates), `/claims/:type` (the guided form, checked as
/// the law checks), `/claims/d/:token` (the print-ready claim), `/claims/d/:token/docx`; and
/// `GET /api/v1/claims`, `POST /api/v1/claims/:type` for programs.
struct ClaimsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("claims", use: index)
        routes.get("claims", ":type", use: form)
        routes.post("claims", ":type", use: submit)
        routes.get("claims", "d", ":token", use: document)
        routes.get("claims", "d", ":token", "docx", use: docx)
    }

    func bootAPI(_ api: any RoutesBuilder) {
        api.get("claims", use: apiTypes).document(.init(
            "Виды претензий и поля их форм", description: "Каждый вид: поля, их варианты, срок ответа продавца, нормы закона.",
            access: .open))
        api.post("claims", ":type", use: apiCompose).idempotency(.none).document(.init(
            "Составить претензию",
            description: "Возвращает готовый документ (текст, ссылки на печатную форму и DOCX) и расчёт неустойки. Со входом черновик сохраняется в кабинете.",
            access: .optionalToken, body: ClaimInput.self, status: 201, response: ComposedDTO.self,
            pathValues: ["type": ClaimType.allCases.map(\.rawValue)]))
        api.get("claims", "d", ":token", "docx", use: docx).document(.init(
            "Претензия в формате DOCX (по ссылке из ответа)", access: .open,
            media: ["application/vnd.openxmlformats-officedocument.wordprocessingml.document"]))
    }

    static func type(_ request: Request) throws -> ClaimType {
        guard let type = request.parameters.get("type").flatMap(ClaimType.init(rawValue:)) else { throw AppError.notFound }
        return type
    }

    // MARK: Pages

    struct IndexPage: Encodable {
        struct Item: Encodable {
            var code: String
            var title: String
            var summary: String
            var term: String
            var url: String
        }

        var layout: Layout
        var items: [Item]
    }

    @Sendable
    func index(request: Request) async throws -> Response {
        try await request.render(
            "claims/index",
            IndexPage(
                layout: await Layout.make(for: request, title: "Составить претензию"),
                items: ClaimType.allCases.map {
                    IndexPage.Item(code: $0.rawValue, title: $0.title, summary: $0.summary, term: $0.termNote, url: "/claims/\($0.rawValue)")
                }))
    }

    struct FormPage: Encodable {
        struct Field: Encodable {
            var name: String
            var label: String
            var hint: String?
            var required: Bool
            var value: String
            var error: String?
            var explanation: String?
            var isText: Bool
            var isMultiline: Bool
            var isDate: Bool
            var isMoney: Bool
            var isNumber: Bool
            var isCheckbox: Bool
            var isChoice: Bool
            var checked: Bool
            var groups: [Group]
        }

        struct Group: Encodable {
            var label: String?
            var options: [Choice]
        }

        struct Section: Encodable {
            var title: String
            var fields: [Field]
        }

        var layout: Layout
        var code: String
        var title: String
        var summary: String
        var term: String
        var citations: [String]
        var sections: [Section]
        var hasErrors: Bool
        var today: String
    }

    static let checkboxValues: Set<String> = ["on", "true", "1", "yes"]

    static func formPage(
        _ request: Request, type: ClaimType, input: ClaimInput, failure: ValidationFailure? = nil, explanations: [String: String] = [:]
    ) async throws -> FormPage {
        let errors = failure.map(FormErrors.russian) ?? [:]
        let required = type.requiredFields
        func field(_ f: ClaimField) -> FormPage.Field {
            let value = input[f] ?? ""
            let choices = type.choices(for: f)
            var groups: [FormPage.Group] = []
            for choice in choices {
                let option = Choice(value: choice.value, label: choice.label, selected: choice.value == value)
                let label = choice.group.flatMap(PenaltyBase.init(rawValue:))?.title
                if let last = groups.last, last.label == label {
                    groups[groups.count - 1].options.append(option)
                } else {
                    groups.append(FormPage.Group(label: label, options: [option]))
                }
            }
            return FormPage.Field(
                name: f.rawValue, label: type.label(for: f), hint: f.hint, required: required.contains(f), value: value,
                error: errors[f.rawValue], explanation: explanations[f.rawValue], isText: f.kind == .text,
                isMultiline: f.kind == .multiline, isDate: f.kind == .date, isMoney: f.kind == .money, isNumber: f.kind == .wholeNumber,
                isCheckbox: f.kind == .checkbox, isChoice: f.kind == .choice, checked: checkboxValues.contains(value.lowercased()),
                groups: groups)
        }
        let consumer: [ClaimField] = [.consumerName, .consumerAddress, .consumerPhone, .consumerEmail]
        let seller: [ClaimField] = [.sellerName, .sellerINN, .sellerOGRN, .sellerAddress]
        let closing: [ClaimField] = [.facts, .bankDetails, .claimDate]
        let fields = type.fields
        let purchase = fields.filter { !consumer.contains($0) && !seller.contains($0) && !closing.contains($0) }
        return FormPage(
            layout: await Layout.make(for: request, title: type.title), code: type.rawValue, title: type.title, summary: type.summary,
            term: type.termNote, citations: type.citations.map { "\($0.reference): \($0.statement)." },
            sections: [
                FormPage.Section(title: "Потребитель (вы)", fields: consumer.filter(fields.contains).map(field)),
                FormPage.Section(title: "Продавец (исполнитель)", fields: seller.filter(fields.contains).map(field)),
                FormPage.Section(title: "Покупка и что случилось", fields: purchase.map(field)),
                FormPage.Section(title: "Дополнительно", fields: closing.filter(fields.contains).map(field)),
            ],
            hasErrors: failure != nil, today: ClaimService.today(request).description)
    }

    @Sendable
    func form(request: Request) async throws -> Response {
        let type = try Self.type(request)
        var input = ClaimInput()
        if let token = try? request.query.get(String.self, at: "from"), let found = try await ClaimService.find(token: token, on: request) {
            input = found.draft.input
        } else if let user = request.currentUser {
            input.consumerName = user.personName.full
            input.consumerEmail = user.email
            input.consumerPhone = user.phone
        }
        return try await request.render("claims/form", try await Self.formPage(request, type: type, input: input))
    }

    /// The form's fields, by name, whatever the template: unknown names are ignored.
    static func input(_ request: Request) throws -> ClaimInput {
        let values = try request.content.decode([String: String].self)
        var input = ClaimInput()
        for field in ClaimField.allCases {
            if let value = values[field.rawValue] { input[field] = String(value.prefix(5000)) }
        }
        return input
    }

    @Sendable
    func submit(request: Request) async throws -> Response {
        let type = try Self.type(request)
        let input = try Self.input(request)
        return try await request.submitForm("claims/form") {
            let composed = try await ClaimService.compose(input, type: type, owner: request.currentUser?.id, on: request)
            return request.seeOther("/claims/d/\(composed.token)", flash: "Претензия составлена. Проверьте текст, скачайте или распечатайте её.")
        } onInvalid: { failure in
            let explanations = ClaimForm.explanations(
                input, type: type, today: ClaimService.today(request), calendar: request.application.productionCalendar)
            return try await Self.formPage(request, type: type, input: input, failure: failure, explanations: explanations)
        }
    }

    struct DocumentPage: Encodable {
        struct Penalty: Encodable {
            var from: String
            var to: String
            var days: Int
            var perDay: String
            var total: String
            var rate: String
            var capped: Bool
        }

        var layout: Layout
        var document: ClaimDocument
        var date: String
        var demands: [String]
        var attachments: [String]
        var penalty: Penalty?
        var notes: [String]
        var docxURL: String
        var editURL: String
        var appealURL: String
    }

    @Sendable
    func document(request: Request) async throws -> Response {
        guard let token = request.parameters.get("token"), let found = try await ClaimService.find(token: token, on: request) else {
            throw AppError.notFound
        }
        let claim = found.claim
        let document = claim.document
        let response = try await request.render(
            "claims/document",
            DocumentPage(
                layout: await Layout.make(for: request, title: "Претензия " + document.subtitle), document: document,
                date: document.date.dotted, demands: document.numberedDemands, attachments: document.numberedAttachments,
                penalty: claim.penalty.map {
                    DocumentPage.Penalty(
                        from: $0.from.dotted, to: $0.to.dotted, days: $0.days, perDay: Money.format(kopecks: $0.perDayKopecks),
                        total: Money.format(kopecks: $0.totalKopecks),
                        rate: String(format: "%g", Double($0.base.basisPointsPerDay) / 100).replacingOccurrences(of: ".", with: ",") + " %",
                        capped: $0.capped)
                },
                notes: claim.notes, docxURL: "/claims/d/\(token)/docx", editURL: "/claims/\(claim.type.rawValue)?from=\(token)",
                appealURL: "/appeals/new?claim=\(token)&q=" + (claim.type.title.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")))
        // The link is the key to a person's claim: keep it out of other sites' logs.
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }

    @Sendable
    func docx(request: Request) async throws -> Response {
        guard let token = request.parameters.get("token"), let found = try await ClaimService.find(token: token, on: request) else {
            throw AppError.notFound
        }
        let document = found.claim.document
        let data = try ClaimService.docx(document, created: found.draft.createdAt)
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "application", subType: "vnd.openxmlformats-officedocument.wordprocessingml.document")
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(DocxPackage.suggestedFileName(for: document))\"")
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }

    // MARK: API

    struct TypeDTO: Content {
        struct Field: Content {
            var name: String
            var kind: String
            var label: String
            var required: Bool
            var choices: [ClaimChoice]
        }

        var code: String
        var title: String
        var summary: String
        var sellerTermDays: Int
        var fields: [Field]
        var citations: [ClaimCitation]
    }

    struct TypeList: Content {
        var items: [TypeDTO]
    }

    @Sendable
    func apiTypes(request: Request) async throws -> TypeList {
        TypeList(items: ClaimType.allCases.map { type in
            TypeDTO(
                code: type.rawValue, title: type.title, summary: type.summary, sellerTermDays: type.sellerTermDays,
                fields: type.fields.map {
                    TypeDTO.Field(name: $0.rawValue, kind: $0.kind.rawValue, label: type.label(for: $0), required: type.requiredFields.contains($0), choices: type.choices(for: $0))
                },
                citations: type.citations)
        })
    }

    struct ComposedDTO: Content {
        var token: String
        var printUrl: String
        var docxUrl: String
        var penalty: PenaltyResult?
        var document: ClaimDocument
        var text: String
    }

    @Sendable
    func apiCompose(request: Request) async throws -> Response {
        let type = try Self.type(request)
        let input = try request.content.decode(ClaimInput.self)
        let composed = try await ClaimService.compose(input, type: type, owner: request.currentUser?.id, on: request)
        let document = composed.claim.document
        return try await ComposedDTO(
            token: composed.token, printUrl: "/claims/d/\(composed.token)", docxUrl: "/api/v1/claims/d/\(composed.token)/docx",
            penalty: composed.claim.penalty, document: document, text: document.plainText
        ).encodeResponse(status: .created, for: request)
    }
}
