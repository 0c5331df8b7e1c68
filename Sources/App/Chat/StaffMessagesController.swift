import Domain
import Fluent
import Foundation
import Vapor

/// «Сообщения» for staff: the channel list with unread counts, a channel's conversation (live over the
/// WebSocket), new channels between organisations, direct messages, appeal threads, search.
struct StaffMessagesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let messages = routes.grouped("messages")
        messages.get(use: listPage)
        messages.get(":id", use: channelPage)
        messages.post("channels", use: createChannelPage)
        messages.post("direct", use: directPage)
        messages.get("appeal", ":number", use: appealThreadPage)
    }

    func bootAPI(_ api: any RoutesBuilder) {
        let messages = api.grouped("messages")
        messages.get("channels", use: apiList).document(.init("Мои каналы переписки сотрудников и непрочитанные"))
        messages.post("channels", use: apiCreateChannel).document(.init(
            "Создать канал (межведомственный или внутренний)", body: ChannelInput.self, status: 201, response: Created.self))
        messages.post("direct", use: apiDirect).document(.init(
            "Личная переписка с сотрудником (создаётся один раз)", body: DirectInput.self))
        messages.post("appeal", ":number", use: apiAppealThread).document(.init(
            "Обсуждение обращения: канал его исполнителей (создаётся один раз)"))
        messages.get("search", use: apiSearch).document(.init(
            "Поиск по сообщениям каналов, где я участник", query: [.string("q", "Слова")]))
        messages.get("channels", ":id", "messages", use: apiHistory).document(.init(
            "История канала", query: [.integer("after", "Только сообщения с номером больше этого", minimum: 0)],
            uuid: ["id"]))
    }

    private func requireStaff(_ request: Request) async throws -> Actor {
        let actor = try await request.requireActor()
        // Staff of a deactivated organisation act for it no longer, here as everywhere.
        guard Policy.isActiveStaff(actor, tree: try await OrganisationQueries.tree(on: request.db)) else { throw AppError.forbidden }
        return actor
    }

    // MARK: API

    struct ChannelList: Content {
        var channels: [StaffChatService.ChannelSummary]
    }

    @Sendable
    func apiList(request: Request) async throws -> ChannelList {
        let actor = try await requireStaff(request)
        return ChannelList(channels: try await StaffChatService.channels(for: actor, on: request.db))
    }

    struct ChannelInput: Content {
        var title: String?
        var organisations: [String]?
        var includesSubordinates: Bool?
    }

    struct Created: Content {
        var id: UUID
    }

    @Sendable
    func apiCreateChannel(request: Request) async throws -> Response {
        let actor = try await requireStaff(request)
        let input = try request.content.decode(ChannelInput.self)
        let id = try await create(input, actor: actor, request: request)
        return try await Created(id: id).encodeResponse(status: .created, for: request)
    }

    private func create(_ input: ChannelInput, actor: Actor, request: Request) async throws -> UUID {
        var organisations: [UUID] = []
        for raw in input.organisations ?? [] {
            guard let id = UUID(uuidString: raw) else { throw ValidationFailure([FieldError("organisations", .invalidValue)]) }
            organisations.append(id)
        }
        return try await StaffChatService.createAgencies(
            title: input.title, organisations: organisations, includesSubordinates: input.includesSubordinates ?? false, by: actor,
            app: request.application, now: request.now)
    }

    struct DirectInput: Content {
        var with: String?
    }

    @Sendable
    func apiDirect(request: Request) async throws -> Created {
        let actor = try await requireStaff(request)
        let input = try request.content.decode(DirectInput.self)
        guard let other = input.with.flatMap(UUID.init(uuidString:)) else { throw ValidationFailure([FieldError("with", .required)]) }
        return Created(id: try await StaffChatService.direct(with: other, by: actor, app: request.application, now: request.now))
    }

    private func appeal(_ request: Request) async throws -> Appeal {
        guard let appeal = try await Appeal.query(on: request.db).filter(\.$number == (request.parameters.get("number") ?? "")).first()
        else { throw AppError.notFound }
        return appeal
    }

    @Sendable
    func apiAppealThread(request: Request) async throws -> Created {
        let actor = try await requireStaff(request)
        return Created(id: try await StaffChatService.appealThread(try await appeal(request), by: actor, app: request.application, now: request.now))
    }

    struct SearchResult: Content {
        var results: [StaffChatService.Found]
    }

    @Sendable
    func apiSearch(request: Request) async throws -> SearchResult {
        let actor = try await requireStaff(request)
        let query = (try? request.query.get(String.self, at: "q")) ?? ""
        return SearchResult(results: try await StaffChatService.search(query, for: actor, on: request.db))
    }

    struct History: Content {
        var messages: [ChatMessage]
    }

    /// A channel's messages after `after` over HTTP (for clients without a socket); members only.
    @Sendable
    func apiHistory(request: Request) async throws -> History {
        let actor = try await requireStaff(request)
        let id = try request.uuidParameter("id")
        try await requireMember(actor, id, request: request)
        let after = max(0, (try? request.query.get(Int64.self, at: "after")) ?? 0)
        return History(messages: try await ChatStore.messages(of: id, after: after, limit: 500, on: request.db))
    }

    private func requireMember(_ actor: Actor, _ id: UUID, request: Request) async throws {
        guard let channel = try await StaffChatService.channel(id, on: request.db),
            ChannelAccess.mayRead(actor, channel, tree: try await OrganisationQueries.tree(on: request.db))
        else { throw AppError.notFound }
    }

    // MARK: Pages

    struct ListPage: Encodable {
        struct Row: Encodable {
            var id: String
            var title: String
            var kind: String
            var unread: Int64
            var current: Bool
        }

        struct Result: Encodable {
            var channelID: String
            var channelTitle: String
            var author: String
            var text: String
            var at: String
        }

        var layout: Layout
        var channels: [Row]
        var query: String
        var results: [Result]?
        var organisations: [Choice]
        var colleagues: [Choice]
        var current: Row?
        var currentID: String?
        var lastSeq: Int64
        var errors: [String: String]
    }

    private func page(_ request: Request, actor: Actor, current: UUID?, errors: [String: String] = [:]) async throws -> ListPage {
        let channels = try await StaffChatService.channels(for: actor, on: request.db)
        let rows = channels.map {
            ListPage.Row(
                id: $0.id.uuidString, title: $0.title, kind: Self.kindTitle($0.kind), unread: $0.unread, current: $0.id == current)
        }
        let query = ((try? request.query.get(String.self, at: "q")) ?? "").trimmingWhitespace()
        var results: [ListPage.Result]?
        if !query.isEmpty {
            results = try await StaffChatService.search(query, for: actor, on: request.db).map {
                .init(
                    channelID: $0.channel.uuidString, channelTitle: $0.channelTitle, author: $0.message.authorName, text: $0.message.text,
                    at: Strings.dateTime($0.message.at))
            }
        }
        let organisations = try await Organisation.query(on: request.db).filter(\.$isActive == true).sort(\.$name).all()
        let colleagues = try await User.query(on: request.db).join(RoleGrant.self, on: \RoleGrant.$user.$id == \User.$id)
            .filter(RoleGrant.self, \.$role != .citizen).filter(\.$isActive == true).filter(\.$id != actor.userID)
            .sort(\.$surname).sort(\.$name).limit(500).all()
        var seen = Set<UUID>()
        return ListPage(
            layout: await Layout.make(for: request, title: "Сообщения"), channels: rows, query: query, results: results,
            organisations: organisations.map { Choice(value: $0.id?.uuidString ?? "", label: $0.name, selected: false) },
            colleagues: colleagues.filter { seen.insert($0.id ?? UUID()).inserted }.map {
                Choice(value: $0.id?.uuidString ?? "", label: "\($0.surname) \($0.name)", selected: false)
            },
            current: rows.first { $0.current }, currentID: current?.uuidString,
            lastSeq: current.flatMap { id in channels.first { $0.id == id }?.lastSeq } ?? 0, errors: errors)
    }

    static func kindTitle(_ kind: ChannelKind) -> String {
        switch kind {
        case .agencies: "Между организациями"
        case .direct: "Личные"
        case .appeal: "По обращению"
        }
    }

    @Sendable
    func listPage(request: Request) async throws -> Response {
        let actor = try await requireStaff(request)
        return try await request.render("chat/messages", try await page(request, actor: actor, current: nil))
    }

    @Sendable
    func channelPage(request: Request) async throws -> Response {
        let actor = try await requireStaff(request)
        let id = try request.uuidParameter("id")
        try await requireMember(actor, id, request: request)
        return try await request.render("chat/messages", try await page(request, actor: actor, current: id))
    }

    struct ChannelForm: Content {
        var title: String?
        var organisations: [String]?
        var includesSubordinates: String?
    }

    @Sendable
    func createChannelPage(request: Request) async throws -> Response {
        let actor = try await requireStaff(request)
        let form = try request.content.decode(ChannelForm.self)
        do {
            let id = try await create(
                ChannelInput(title: form.title, organisations: form.organisations, includesSubordinates: form.includesSubordinates != nil),
                actor: actor, request: request)
            return request.seeOther("/messages/\(id.uuidString)", flash: "Канал создан.")
        } catch let failure as ValidationFailure {
            return try await request.render(
                "chat/messages", try await page(request, actor: actor, current: nil, errors: FormErrors.russian(failure)), status: .unprocessableEntity)
        }
    }

    @Sendable
    func directPage(request: Request) async throws -> Response {
        let actor = try await requireStaff(request)
        let form = try request.content.decode(DirectInput.self)
        guard let other = form.with.flatMap(UUID.init(uuidString:)) else {
            return request.seeOther("/messages", flash: "Выберите коллегу.")
        }
        let id = try await StaffChatService.direct(with: other, by: actor, app: request.application, now: request.now)
        return request.seeOther("/messages/\(id.uuidString)")
    }

    @Sendable
    func appealThreadPage(request: Request) async throws -> Response {
        let actor = try await requireStaff(request)
        let id = try await StaffChatService.appealThread(try await appeal(request), by: actor, app: request.application, now: request.now)
        return request.seeOther("/messages/\(id.uuidString)")
    }
}
