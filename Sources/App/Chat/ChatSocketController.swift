import Domain
import Foundation
import NIOCore
import NIOHTTP1
import NIOWebSocket
import Vapor

/// The WebSocket: `/ws` for pages (the session cookie says who it is; the Origin must be this site, or
/// another site's page could use a visitor's cookie), `/api/v1/ws` for programs (bearer token, or none
/// for an anonymous citizen, who proves each consultation with its key). Protocol: docs/chat-protocol.md.
struct ChatSocketController {
    func boot(pages: any RoutesBuilder) {
        pages.get("ws") { request in try await upgrade(request, checkOrigin: true) }
    }

    func bootAPI(_ api: any RoutesBuilder) {
        api.get("ws") { request in try await upgrade(request, checkOrigin: false) }.document(.init(
            "WebSocket чата: консультации и переписка сотрудников",
            description: "Протокол кадров — docs/chat-protocol.md. Гражданин без входа подключается с ключом консультации.",
            access: .optionalToken, upgrades: true))
    }

    /// Decides who is connecting while this is still an HTTP request, so a refusal is a plain 403 page;
    /// then switches protocols, attaching the handlers in the upgrade closure (no frame can come earlier).
    @Sendable
    private func upgrade(_ request: Request, checkOrigin: Bool) async throws -> Response {
        if checkOrigin, request.currentUser != nil, !Self.sameOrigin(request) { throw AppError.forbidden }
        var identity = ChatIdentity(userID: nil, displayName: nil, actor: nil, mayOperate: false)
        if let user = request.currentUser {
            let actor = try await request.requireActor()
            identity.userID = actor.userID
            identity.actor = actor
            identity.mayOperate = Policy.permitsAnywhere(actor, .answerConsultations, tree: try await OrganisationQueries.tree(on: request.db))
            // Operators are shown to citizens by first name, as they introduce themselves.
            identity.displayName = identity.mayOperate ? user.name : "\(user.name) \(user.surname)"
        }
        let app = request.application
        let chosen = identity
        let response = Response(status: .switchingProtocols)
        response.upgrader = ChatUpgrader { ws, channel in
            ChatConnection.attach(ws, wire: WireWriter(channel: channel), identity: chosen, app: app)
        }
        return response
    }

    /// A browser always sends Origin on a WebSocket handshake; it must name this host.
    static func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers.first(name: .origin), let host = request.headers.first(name: .host) else { return false }
        guard let url = URL(string: origin), let originHost = url.host else { return false }
        let port = url.port.map { ":\($0)" } ?? ""
        return (originHost + port).lowercased() == host.lowercased()
    }
}

/// Vapor's WebSocket upgrade, but the closure gets the channel as well (on its loop, with the WebSocket
/// handlers in place): the hub writes pre-encoded frames to it (`WireWriter`).
struct ChatUpgrader: Upgrader {
    let onUpgrade: @Sendable (WebSocket, any Channel) -> Void

    func applyUpgrade(req: Request, res: Response) -> any HTTPServerProtocolUpgrader {
        NIOWebSocketServerUpgrader(
            maxFrameSize: ChatFrames.maxFrameBytes,
            automaticErrorHandling: false,
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture([:]) },
            upgradePipelineHandler: { channel, _ in
                WebSocket.server(on: channel) { ws in onUpgrade(ws, channel) }
            })
    }
}
