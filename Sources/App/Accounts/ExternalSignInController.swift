import Domain
import Fluent
import Vapor

/// `/auth/oidc/start` and `/auth/oidc/callback`: a citizen signs in through the configured OpenID Connect
/// provider (authorization code with PKCE, state bound to the browser, nonce, the id_token's signature
/// checked against the provider's JWKS, then its issuer, audience, times and nonce). Any failure shows a
/// page that says what went wrong; nothing is created until every check has passed.
struct ExternalSignInController: RouteCollection {
    static let browserCookie = "cd_oidc"

    func boot(routes: any RoutesBuilder) throws {
        let oidc = routes.grouped("auth", "oidc")
        oidc.get("start", use: start)
        oidc.get("callback", use: callback)
    }

    struct FailurePage: Encodable {
        var layout: Layout
        var message: String
        var provider: String
    }

    static func redirectURI(_ app: Application) -> String { app.config.publicURL + "/auth/oidc/callback" }

    private func refuse(_ failure: ExternalSignInFailure, _ request: Request) async throws -> Response {
        request.logger.notice("External sign-in refused: \(failure)")
        let response = try await request.render(
            "auth/oidc-error",
            FailurePage(
                layout: await Layout.make(for: request, title: "Вход не выполнен"), message: failure.message,
                provider: request.application.config.oidc?.displayName ?? ""),
            status: failure.status)
        response.cookies[Self.browserCookie] = HTTPCookies.Value(
            string: "", expires: Date(timeIntervalSince1970: 0), path: "/auth/oidc", isHTTPOnly: true, sameSite: .lax)
        return response
    }

    @Sendable
    func start(request: Request) async throws -> Response {
        guard let settings = request.application.config.oidc, let provider = request.application.oidcProvider else {
            return try await refuse(.notConfigured, request)
        }
        let endpoints: OIDCProvider.Discovery
        do {
            endpoints = try await provider.endpoints(client: request.client)
        } catch {
            return try await refuse(error, request)
        }
        let state = Secrets.randomToken()
        let nonce = Secrets.randomToken()
        let verifier = Secrets.randomToken()
        let browser = Secrets.randomToken()
        let now = request.now
        // Attempts nobody finished are forgotten as new ones begin.
        try await OIDCAttempt.query(on: request.db)
            .filter(\.$createdAt < now.addingTimeInterval(-ExternalSignIn.attemptLifetime)).delete()
        let attempt = OIDCAttempt()
        attempt.stateHash = Secrets.hash(state)
        attempt.browserHash = Secrets.hash(browser)
        attempt.nonce = nonce
        attempt.codeVerifier = verifier
        attempt.next = request.safeNext(try? request.query.get(String.self, at: "next"))
        attempt.createdAt = now
        try await attempt.create(on: request.db)

        var target = URLComponents(string: endpoints.authorizationEndpoint)
        let existing = target?.queryItems ?? []
        target?.queryItems = existing + [
            URLQueryItem(name: "response_type", value: "code"),
            URLQueryItem(name: "client_id", value: settings.clientID),
            URLQueryItem(name: "redirect_uri", value: Self.redirectURI(request.application)),
            URLQueryItem(name: "scope", value: settings.scope),
            URLQueryItem(name: "state", value: state),
            URLQueryItem(name: "nonce", value: nonce),
            URLQueryItem(name: "code_challenge", value: OIDCProvider.challenge(for: verifier)),
            URLQueryItem(name: "code_challenge_method", value: "S256"),
        ]
        guard let url = target?.url?.absoluteString else { return try await refuse(.providerUnavailable, request) }
        let response = request.redirect(to: url, redirectType: .normal)
        // Lax: the provider sends the browser back with a top-level GET, which carries it.
        response.cookies[Self.browserCookie] = HTTPCookies.Value(
            string: browser, maxAge: Int(ExternalSignIn.attemptLifetime), path: "/auth/oidc",
            isSecure: request.application.config.secureCookies, isHTTPOnly: true, sameSite: .lax)
        return response
    }

    @Sendable
    func callback(request: Request) async throws -> Response {
        guard let settings = request.application.config.oidc, let provider = request.application.oidcProvider else {
            return try await refuse(.notConfigured, request)
        }
        let now = request.now
        // The attempt: known, fresh, this browser's, and used once (gone before anything else happens).
        let state = (try? request.query.get(String.self, at: "state"))?.nonBlank
        let attempt = try await state.asyncFlatMap {
            try await OIDCAttempt.query(on: request.db).filter(\.$stateHash == Secrets.hash($0)).first()
        }
        if let attempt { try await attempt.delete(on: request.db) }
        // The provider's refusal (the person declined) changes nothing here, so it is shown even when the
        // provider left the state out, as some do.
        if let error = (try? request.query.get(String.self, at: "error"))?.nonBlank {
            let detail = (try? request.query.get(String.self, at: "error_description"))?.nonBlank ?? error
            return try await refuse(.cancelled(String(detail.prefix(200))), request)
        }
        guard let attempt, attempt.createdAt.addingTimeInterval(ExternalSignIn.attemptLifetime) > now,
            let browser = request.cookies[Self.browserCookie]?.string,
            Secrets.constantTimeEquals(Secrets.hash(browser), attempt.browserHash)
        else { return try await refuse(.staleAttempt, request) }
        guard let code = (try? request.query.get(String.self, at: "code"))?.nonBlank else {
            return try await refuse(.tokenRefused, request)
        }

        let user: User
        do {
            let endpoints = try await provider.endpoints(client: request.client)
            let raw = try await provider.exchange(
                code: code, verifier: attempt.codeVerifier, redirectURI: Self.redirectURI(request.application),
                client: request.client)
            let token = try await provider.verifiedToken(raw, client: request.client)
            guard token.iss == settings.issuer, token.iss == endpoints.issuer else { throw ExternalSignInFailure.wrongIssuer }
            let audiences = token.aud.value
            guard audiences.contains(settings.clientID) else { throw ExternalSignInFailure.wrongAudience }
            // Several audiences: the party the token was issued to must be named, and be us (OIDC Core §3.1.3.7).
            if let azp = token.azp, azp != settings.clientID { throw ExternalSignInFailure.wrongAudience }
            if audiences.count > 1, token.azp == nil { throw ExternalSignInFailure.wrongAudience }
            do {
                try ExternalSignIn.checkTimes(expires: token.exp.value, issued: token.iat?.value, now: now)
            } catch {
                throw ExternalSignInFailure.expired
            }
            guard let nonce = token.nonce, Secrets.constantTimeEquals(nonce, attempt.nonce) else {
                throw ExternalSignInFailure.wrongNonce
            }
            user = try await ExternalAccounts.account(for: token.claims, provider: settings.issuer, on: request)
        } catch let failure as ExternalSignInFailure {
            return try await refuse(failure, request)
        }
        let response = request.seeOther(attempt.next ?? "/account")
        try await AccountService.startSession(for: user, on: request, response: response)
        response.cookies[Self.browserCookie] = HTTPCookies.Value(
            string: "", expires: Date(timeIntervalSince1970: 0), path: "/auth/oidc", isHTTPOnly: true, sameSite: .lax)
        return response
    }
}
