import Domain
import Foundation
import NIOCore
import Vapor

/// The WebSocket: `/ws` for pages (the session cookie says who it is; the Origin must be this site, or
/// another site's page could use a visitor's cookie), `/api/v1/ws` for programs (bearer token, or none
/// for an anonymous citizen, who proves each consultation with its key). Protocol: docs/chat-protocol.md.
struct ChatSocketController {
    func boot(pages: any RoutesBuilder) {
        pages.webSocket("ws", maxFrameSize: WebSocketMaxFrameSize(integerLiteral: ChatFrames.maxFrameBytes),
            shouldUpgrade: { request in upgrade(request, checkOrigin: true) }, onUpgrade: attach)
    }

    func bootAPI(_ api: any RoutesBuilder) {
        api.webSocket("ws", maxFrameSize: WebSocketMaxFrameSize(integerLiteral: ChatFrames.maxFrameBytes),
            shouldUpgrade: { request in upgrade(request, checkOrigin: false) }, onUpgrade: attach)
    }

    private struct IdentityKey: StorageKey { typealias Value = ChatIdentity }

    private func upgrade(_ request: Request, checkOrigin: Bool) -> EventLoopFuture<HTTPHeaders?> {
        request.eventLoop.makeFutureWithTask {
            if checkOrigin, request.currentUser != nil, !Self.sameOrigin(request) { throw AppError.forbidden }
            var identity = ChatIdentity(userID: nil, displayName: nil, actor: nil, mayOperate: false)
            if let user = request.currentUser {
                let actor = try await request.requireActor()
                identity.userID = actor.userID
                identity.actor = actor
                // Operators are shown to citizens by first name, as they introduce themselves.
                identity.mayOperate = Policy.permitsAnywhere(actor, .answerConsultations, tree: try await OrganisationQueries.tree(on: request.db))
                identity.displayName = identity.mayOperate ? user.name : "\(user.name) \(user.surname)"
            }
            request.storage[IdentityKey.self] = identity
            return [:]
        }
    }

    /// A browser always sends Origin on a WebSocket handshake; it must name this host.
    static func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers.first(name: .origin), let host = request.headers.first(name: .host) else { return false }
        guard let url = URL(string: origin), let originHost = url.host else { return false }
        let port = url.port.map { ":\($0)" } ?? ""
        return (originHost + port).lowercased() == host.lowercased()
    }

    private func attach(_ request: Request, _ ws: WebSocket) {
        let identity = request.storage[IdentityKey.self] ?? ChatIdentity(userID: nil, displayName: nil, actor: nil, mayOperate: false)
        ChatConnection.attach(ws, identity: identity, app: request.application)
    }
}
