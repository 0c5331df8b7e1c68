import Domain
import Fluent
import Foundation
import Vapor

/// The chat-bot for programs (`POST /api/v1/bot/ask`, public — the same bot the chat window will use) and
/// its training queue for specialists (`/editor/bot`, `GET /api/v1/bot/queue`, `POST /api/v1/bot/queue/:id/teach`).
struct BotController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("editor", "bot", use: queuePage)
        routes.post("editor", "bot", ":id", "teach", use: teachFromPage)
        routes.post("editor", "bot", ":id", "dismiss", use: dismissFromPage)
    }

    func bootAPI(_ api: any RoutesBuilder) {
        api.post("bot", "ask", use: ask)
        api.get("bot", "queue", use: apiQueue)
        api.post("bot", "queue", ":id", "teach", use: apiTeach)
    }

    struct AskInput: Content {
        var question: String?
    }

    @Sendable
    func ask(request: Request) async throws -> BotService.Reply {
        try request.application.botRateLimits.check(request.clientAddress, now: request.now)
        let input = try request.content.decode(AskInput.self)
        return try await BotService.ask(input.question ?? "", on: request)
    }

    struct QueueList: Content {
        var items: [BotService.QueueItem]
    }

    @Sendable
    func apiQueue(request: Request) async throws -> QueueList {
        _ = try await EditorController.requireEditor(request)
        return QueueList(items: try await BotService.queue(on: request.db))
    }

    struct TeachInput: Content {
        /// The FAQ entry's slug.
        var faq: String?
    }

    @Sendable
    func apiTeach(request: Request) async throws -> HTTPStatus {
        let user = try await EditorController.requireEditor(request)
        let input = try request.content.decode(TeachInput.self)
        guard let slug = input.faq?.nonBlank else { throw ValidationFailure([FieldError("faq", .required)]) }
        try await BotService.teach(try request.uuidParameter("id"), faqSlug: slug, by: user, on: request)
        return .noContent
    }

    struct QueuePage: Encodable {
        struct Item: Encodable {
            var id: String
            var question: String
            var askedAt: String
            var guessTitle: String?
            var guessSlug: String?
        }

        var layout: Layout
        var items: [Item]
        var faq: [Choice]
    }

    @Sendable
    func queuePage(request: Request) async throws -> Response {
        _ = try await EditorController.requireEditor(request)
        let items = try await BotService.queue(on: request.db)
        let faq = try await KnowledgeBaseService.faq(sphere: nil, includeDrafts: false, on: request.db)
        return try await request.render(
            "editor/bot",
            QueuePage(
                layout: await Layout.make(for: request, title: "Обучение виртуального помощника"),
                items: items.map {
                    QueuePage.Item(
                        id: $0.id.uuidString, question: $0.question, askedAt: Strings.dateTime($0.askedAt), guessTitle: $0.guess?.title,
                        guessSlug: $0.guess.map { String($0.url.split(separator: "/").last ?? "") })
                },
                faq: faq.map { Choice(value: $0.slug, label: $0.question, selected: false) }))
    }

    @Sendable
    func teachFromPage(request: Request) async throws -> Response {
        let user = try await EditorController.requireEditor(request)
        let input = try request.content.decode(TeachInput.self)
        guard let slug = input.faq?.nonBlank else { return request.seeOther("/editor/bot", flash: "Выберите вопрос из списка.") }
        try await BotService.teach(try request.uuidParameter("id"), faqSlug: slug, by: user, on: request)
        return request.seeOther("/editor/bot", flash: "Помощник научен: теперь он отвечает на этот вопрос.")
    }

    @Sendable
    func dismissFromPage(request: Request) async throws -> Response {
        let user = try await EditorController.requireEditor(request)
        try await BotService.dismiss(try request.uuidParameter("id"), by: user, on: request)
        return request.seeOther("/editor/bot", flash: "Вопрос убран из очереди.")
    }
}
