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
        routes.get("chat", "menu", use: menu)
        routes.get("editor", "bot", "menu", use: menuPage)
        routes.post("editor", "bot", "menu", use: addMenuItem)
        routes.post("editor", "bot", "menu", ":id", use: saveMenuItem)
        routes.post("editor", "bot", "menu", ":id", "delete", use: deleteMenuItem)
        routes.post("editor", "bot", "synonyms", use: addSynonyms)
        routes.post("editor", "bot", "synonyms", ":id", "delete", use: deleteSynonyms)
    }

    func bootAPI(_ api: any RoutesBuilder) {
        api.post("bot", "ask", use: ask).document(.init(
            "Спросить чат-бота", description: "Ответ из базы вопросов или предложение позвать консультанта. Не чаще нескольких вопросов в секунду с адреса.",
            access: .open, body: AskInput.self))
        api.get("bot", "queue", use: apiQueue).document(.init("Вопросы, на которые бот не ответил (для обучения)"))
        api.post("bot", "queue", ":id", "teach", use: apiTeach).document(.init(
            "Обучить бота: связать вопрос с ответом из FAQ", body: TeachInput.self, status: 204, uuid: ["id"]))
        api.get("bot", "menu", use: menu).document(.init("Меню быстрых тем бота", access: .open))
    }

    // MARK: Menu and synonyms

    @Sendable
    func menu(request: Request) async throws -> BotMenuService.Tree {
        try await BotMenuService.tree(on: request.db)
    }

    struct MenuPage: Encodable {
        struct Row: Encodable {
            var id: String
            var title: String
            var answer: String
            var url: String
            var position: Int
            var depth: Int
            var parentId: String
            var parents: [Choice]
        }

        var layout: Layout
        var rows: [Row]
        var parents: [Choice]
        var synonyms: [BotMenuService.SynonymGroup]
        var errors: [String: String]
    }

    private func renderMenu(_ request: Request, errors: [String: String] = [:], status: HTTPResponseStatus = .ok) async throws -> Response {
        let tree = try await BotMenuService.tree(on: request.db)
        var rows: [MenuPage.Row] = []
        var steps: [(id: UUID, title: String, depth: Int)] = []
        func walk(_ nodes: [BotMenuService.Node], depth: Int, parent: UUID?) {
            for node in nodes {
                rows.append(
                    .init(
                        id: node.id.uuidString, title: node.title, answer: node.answer ?? "", url: node.url ?? "", position: node.position,
                        depth: depth, parentId: parent?.uuidString ?? "", parents: []))
                if depth < BotMenu.maxDepth - 1 { steps.append((node.id, node.title, depth)) }
                walk(node.children, depth: depth + 1, parent: node.id)
            }
        }
        walk(tree.items, depth: 0, parent: nil)
        func choices(selected: String) -> [Choice] {
            [Choice(value: "", label: "— верхний уровень —", selected: selected.isEmpty)]
                + steps.map { Choice(value: $0.id.uuidString, label: $0.title, selected: $0.id.uuidString == selected, depth: $0.depth) }
        }
        for index in rows.indices { rows[index].parents = choices(selected: rows[index].parentId) }
        return try await request.render(
            "editor/bot-menu",
            MenuPage(
                layout: await Layout.make(for: request, title: "Меню виртуального помощника"), rows: rows, parents: choices(selected: ""),
                synonyms: try await BotMenuService.synonyms(on: request.db), errors: errors), status: status)
    }

    @Sendable
    func menuPage(request: Request) async throws -> Response {
        _ = try await EditorController.requireEditor(request)
        return try await renderMenu(request)
    }

    @Sendable
    func addMenuItem(request: Request) async throws -> Response {
        let user = try await EditorController.requireEditor(request)
        do {
            try await BotMenuService.save(nil, try request.content.decode(BotMenuService.Input.self), by: user, on: request.db, now: request.now)
        } catch let failure as ValidationFailure {
            return try await renderMenu(request, errors: FormErrors.russian(failure), status: .unprocessableEntity)
        }
        return request.seeOther("/editor/bot/menu", flash: "Пункт меню добавлен.")
    }

    @Sendable
    func saveMenuItem(request: Request) async throws -> Response {
        let user = try await EditorController.requireEditor(request)
        do {
            try await BotMenuService.save(
                try request.uuidParameter("id"), try request.content.decode(BotMenuService.Input.self), by: user, on: request.db, now: request.now)
        } catch let failure as ValidationFailure {
            return try await renderMenu(request, errors: FormErrors.russian(failure), status: .unprocessableEntity)
        }
        return request.seeOther("/editor/bot/menu", flash: "Пункт меню сохранён.")
    }

    @Sendable
    func deleteMenuItem(request: Request) async throws -> Response {
        _ = try await EditorController.requireEditor(request)
        try await BotMenuService.delete(try request.uuidParameter("id"), on: request.db)
        return request.seeOther("/editor/bot/menu", flash: "Пункт меню удалён.")
    }

    struct SynonymInput: Content {
        var words: String?
    }

    @Sendable
    func addSynonyms(request: Request) async throws -> Response {
        _ = try await EditorController.requireEditor(request)
        do {
            try await BotMenuService.addSynonyms(
                try request.content.decode(SynonymInput.self).words, app: request.application, now: request.now)
        } catch let failure as ValidationFailure {
            return try await renderMenu(request, errors: FormErrors.russian(failure), status: .unprocessableEntity)
        }
        return request.seeOther("/editor/bot/menu", flash: "Синонимы добавлены: помощник считает эти слова одним.")
    }

    @Sendable
    func deleteSynonyms(request: Request) async throws -> Response {
        _ = try await EditorController.requireEditor(request)
        try await BotMenuService.deleteSynonyms(try request.uuidParameter("id"), app: request.application)
        return request.seeOther("/editor/bot/menu", flash: "Группа синонимов удалена.")
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
