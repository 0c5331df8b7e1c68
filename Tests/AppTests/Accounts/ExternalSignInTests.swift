import Crypto
import Fluent
import Foundation
import JWTKit
import NIOConcurrencyHelpers
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

/// OpenID Connect sign-in against a provider that runs for real on 127.0.0.1 (its own HTTP server with
/// discovery, JWKS and a token endpoint that checks PKCE and the client's secret), whose tokens each test
/// shapes: good ones sign the citizen in, every kind of bad one is refused with no account made. The
/// browser journey against oidc-provider-mock is in Tests/e2e/test_oidc_sign_in.py.
@Suite("Sign-in through an OpenID Connect provider", .serialized)
struct ExternalSignInTests {
    static let clientID = "consumerdesk"
    static let clientSecret = "s3cret-value"

    struct Claims: JWTPayload {
        var iss: String
        var sub: String
        var aud: [String]
        var exp: Int
        var iat: Int
        var nonce: String?
        var name: String?
        var email: String?
        var email_verified: Bool?
        var phone_number: String?
        var snils: String?
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// What the token endpoint hands out for a code: the claims (made from the sign-in's nonce), and
    /// whether to spoil the signature.
    struct Grant: Sendable {
        var challenge: String
        var claims: @Sendable (String) -> Claims
        var tamper = false
    }

    final class Provider: Sendable {
        let app: Application
        let port: Int
        let grants: NIOLockedValueBox<[String: Grant]>
        var issuer: String { "http://127.0.0.1:\(port)" }

        private init(app: Application, port: Int, grants: NIOLockedValueBox<[String: Grant]>) {
            self.app = app
            self.port = port
            self.grants = grants
        }

        static func start() async throws -> Provider {
            let app = try await Application.make(.testing)
            app.logger.logLevel = .warning
            let key = ES256PrivateKey()
            let keys = JWTKeyCollection()
            await keys.add(ecdsa: key, kid: "k1")
            let parameters = try #require(key.publicKey.parameters)
            let grants = NIOLockedValueBox<[String: Grant]>([:])
            let port = NIOLockedValueBox(0)
            app.get(".well-known", "openid-configuration") { _ -> Response in
                let issuer = "http://127.0.0.1:\(port.withLockedValue { $0 })"
                let body = """
                    {"issuer":"\(issuer)","authorization_endpoint":"\(issuer)/authorize","token_endpoint":"\(issuer)/token",\
                    "jwks_uri":"\(issuer)/jwks","response_types_supported":["code"],"id_token_signing_alg_values_supported":["ES256"]}
                    """
                return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: body))
            }
            app.get("jwks") { _ -> Response in
                let body = """
                    {"keys":[{"kty":"EC","crv":"P-256","kid":"k1","alg":"ES256","use":"sig","x":"\(parameters.x)","y":"\(parameters.y)"}]}
                    """
                return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: body))
            }
            app.post("token") { request -> Response in
                struct Form: Content {
                    var grant_type: String?
                    var code: String?
                    var code_verifier: String?
                    var redirect_uri: String?
                }
                let form = try request.content.decode(Form.self)
                guard request.headers.basicAuthorization?.username == ExternalSignInTests.clientID,
                    request.headers.basicAuthorization?.password == ExternalSignInTests.clientSecret
                else { return Response(status: .unauthorized, body: .init(string: "{\"error\":\"invalid_client\"}")) }
                guard form.grant_type == "authorization_code", let code = form.code,
                    let grant = grants.withLockedValue({ $0.removeValue(forKey: code) }),
                    let verifier = form.code_verifier,
                    Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncoded == grant.challenge,
                    form.redirect_uri?.hasSuffix("/auth/oidc/callback") == true
                else { return Response(status: .badRequest, body: .init(string: "{\"error\":\"invalid_grant\"}")) }
                var token = try await keys.sign(grant.claims(""), kid: "k1")
                if grant.tamper {
                    // Another claim set with the first one's signature.
                    var parts = token.split(separator: ".").map(String.init)
                    var other = grant.claims("")
                    other.sub = "someone-else"
                    let forged = try await keys.sign(other, kid: "k1").split(separator: ".")
                    parts[1] = String(forged[1])
                    token = parts.joined(separator: ".")
                }
                let body = "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"expires_in\":300,\"id_token\":\"\(token)\"}"
                return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: body))
            }
            try await app.asyncBoot()
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            let bound = try #require(app.http.server.shared.localAddress?.port)
            port.withLockedValue { $0 = bound }
            return Provider(app: app, port: bound, grants: grants)
        }

        func stop() async throws {
            await app.server.shutdown()
            try await app.asyncShutdown()
        }
    }

    /// The first half as a browser does it: start, read where the provider was asked to send it back.
    static func begin(_ browser: Browser, next: String? = nil) async throws -> (state: String, nonce: String, challenge: String) {
        let started = try await browser.get("/auth/oidc/start" + (next.map { "?next=" + Browser.encode($0) } ?? ""))
        #expect(started.status == .seeOther, "\(started.body.string.prefix(400))")
        let location = try #require(started.location.flatMap(URLComponents.init(string:)))
        let items = Dictionary(uniqueKeysWithValues: (location.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(items["response_type"] == "code" && items["client_id"] == clientID)
        #expect(items["code_challenge_method"] == "S256" && items["scope"]?.contains("openid") == true)
        #expect(items["redirect_uri"] == "http://127.0.0.1:8080/auth/oidc/callback")
        return (try #require(items["state"]), try #require(items["nonce"]), try #require(items["code_challenge"]))
    }

    static func claims(
        _ provider: Provider, sub: String = "esia-1001", email: String? = "ivanova@example.ru", verified: Bool = true,
        expiresIn: Int = 300, issuer: String? = nil, audience: [String] = [clientID], nonce: String? = nil
    ) -> @Sendable (String) -> Claims {
        let now = Int(Date().timeIntervalSince1970)
        let iss = issuer ?? provider.issuer
        return { _ in
            Claims(
                iss: iss, sub: sub, aud: audience, exp: now + expiresIn, iat: now - 5, nonce: nonce, name: "Мария Иванова",
                email: email, email_verified: verified, phone_number: "+7 927 555-12-34", snils: "112-233-445 95")
        }
    }

    static func finish(_ browser: Browser, provider: Provider, code: String, state: String, grant: Grant) async throws
        -> TestingHTTPResponse
    {
        provider.grants.withLockedValue { $0[code] = grant }
        return try await browser.get("/auth/oidc/callback?code=\(code)&state=\(Browser.encode(state))")
    }

    /// The consent page of a first sign-in, then the consent.
    static func consent(_ browser: Browser, _ page: TestingHTTPResponse) async throws -> TestingHTTPResponse {
        #expect(page.status == .ok && page.body.string.contains("id=\"oidc-consent-form\""), "\(page.body.string.prefix(400))")
        return try await browser.post("/auth/oidc/consent", form: [("consent", "1")])
    }

    static func withProvider(_ body: (Application, Provider) async throws -> Void) async throws {
        let provider = try await Provider.start()
        do {
            try await withApp(demo: true, configure: { config in
                config.oidc = OIDCSettings(issuer: provider.issuer, clientID: clientID, clientSecret: clientSecret)
                config.oidc?.displayName = "Госуслуги"
            }) { app in try await body(app, provider) }
        } catch {
            try await provider.stop()
            throw error
        }
        try await provider.stop()
    }

    @Test func aCitizenSignsInAndComesBackToTheSameAccount() async throws {
        try await Self.withProvider { app, provider in
            let users = try await User.query(on: app.db).count()
            let browser = try Browser(app)
            let login = try await browser.get("/login?next=/appeals/new")
            #expect(login.body.string.contains("Войти через Госуслуги"))
            #expect(login.body.string.contains("href=\"/auth/oidc/start?next=%2Fappeals%2Fnew\""))

            let (state, nonce, challenge) = try await Self.begin(browser, next: "/appeals/new")
            let page = try await Self.finish(
                browser, provider: provider, code: "c1", state: state,
                grant: .init(challenge: challenge, claims: Self.claims(provider, nonce: nonce)))
            // A first sign-in asks for consent, showing what will be kept; nothing exists before it.
            #expect(page.body.string.contains("Иванова Мария") && page.body.string.contains("***-***-445 95"))
            #expect(try await User.query(on: app.db).count() == users)
            let refused = try await browser.post("/auth/oidc/consent", form: [])
            #expect(refused.status == .unprocessableEntity && refused.body.string.contains("Без согласия"))
            #expect(try await User.query(on: app.db).count() == users)
            let done = try await browser.post("/auth/oidc/consent", form: [("consent", "1")])
            #expect(done.status == .seeOther && done.location == "/appeals/new", "\(done.body.string.prefix(400))")
            // The consent is used once.
            #expect(try await browser.post("/auth/oidc/consent", form: [("consent", "1")]).status == .badRequest)
            let account = try await browser.get("/account")
            #expect(account.status == .ok && account.body.string.contains("Иванова") && account.body.string.contains("***-***-445 95"))

            let user = try #require(try await User.query(on: app.db).filter(\.$email == "ivanova@example.ru").first())
            #expect(user.surname == "Иванова" && user.name == "Мария" && user.emailConfirmedAt != nil)
            #expect(user.phone == "+79275551234")
            let identity = try #require(try await UserIdentity.query(on: app.db).first())
            #expect(identity.subject == "esia-1001" && identity.provider == provider.issuer && identity.snils == "11223344595")
            #expect(try await User.query(on: app.db).count() == users + 1)

            // Again, from another browser: the same account, nothing new.
            let again = try Browser(app)
            let second = try await Self.begin(again)
            let back = try await Self.finish(
                again, provider: provider, code: "c2", state: second.state,
                grant: .init(challenge: second.challenge, claims: Self.claims(provider, nonce: second.nonce)))
            #expect(back.status == .seeOther && back.location == "/account")
            #expect(try await User.query(on: app.db).count() == users + 1)
            #expect(try await UserIdentity.query(on: app.db).count() == 1)

            // The state is spent: the same return a second time is refused.
            let replay = try await again.get("/auth/oidc/callback?code=c2&state=\(Browser.encode(second.state))")
            #expect(replay.status == .badRequest && replay.body.string.contains("устарела или уже использована"))
        }
    }

    @Test func aVerifiedEmailLinksTheExistingCitizenButNeverAStaffAccount() async throws {
        try await Self.withProvider { app, provider in
            let citizen = try #require(try await User.query(on: app.db).filter(\.$email == "citizen@consumerdesk.test").first())
            let users = try await User.query(on: app.db).count()
            let browser = try Browser(app)
            let started = try await Self.begin(browser)
            let done = try await Self.finish(
                browser, provider: provider, code: "c1", state: started.state,
                grant: .init(challenge: started.challenge, claims: Self.claims(provider, sub: "esia-7", email: "citizen@consumerdesk.test", nonce: started.nonce)))
            #expect(done.status == .seeOther)
            #expect(try await UserIdentity.query(on: app.db).first()?.$user.id == citizen.id)
            #expect(try await User.query(on: app.db).count() == users)

            // An email the provider does not vouch for links nothing: a new account without it.
            let other = try Browser(app)
            let unverified = try await Self.begin(other)
            let created = try await Self.finish(
                other, provider: provider, code: "c2", state: unverified.state,
                grant: .init(
                    challenge: unverified.challenge,
                    claims: Self.claims(provider, sub: "esia-8", email: "citizen@consumerdesk.test", verified: false, nonce: unverified.nonce)))
            #expect(try await Self.consent(other, created).status == .seeOther)
            let identity = try #require(try await UserIdentity.query(on: app.db).filter(\.$subject == "esia-8").with(\.$user).first())
            #expect(identity.user.id != citizen.id && identity.user.email == nil)

            // An account that typed someone's address and never confirmed it is not handed to them: the
            // person who proves the address at the provider gets a new account, without it.
            struct Registration: Encodable, Sendable {
                var surname = "Захватов", name = "Пётр", email = "victim@example.ru", phone = "+79270001122"
                var password = "squatter-pass-2026", consent = true
            }
            let squatter = try await API(app).send(.POST, "/api/v1/auth/register", json: Registration())
            #expect(squatter.status == .created, "\(squatter.body.string)")
            let victim = try Browser(app)
            let third = try await Self.begin(victim)
            let offered = try await Self.finish(
                victim, provider: provider, code: "c4", state: third.state,
                grant: .init(challenge: third.challenge, claims: Self.claims(provider, sub: "esia-10", email: "victim@example.ru", nonce: third.nonce)))
            #expect(!offered.body.string.contains("victim@example.ru"))
            #expect(try await Self.consent(victim, offered).status == .seeOther)
            let victimIdentity = try #require(try await UserIdentity.query(on: app.db).filter(\.$subject == "esia-10").with(\.$user).first())
            #expect(victimIdentity.user.surname == "Иванова" && victimIdentity.user.email == nil)

            // A linked citizen later made staff signs in with the password from then on.
            let linked = try #require(try await UserIdentity.query(on: app.db).filter(\.$subject == "esia-7").first())
            let organisation = try #require(try await Organisation.query(on: app.db).first()?.id)
            try await RoleGrant(userID: linked.$user.id, grant: Domain.Grant(role: .executor, organisationID: organisation), grantedBy: nil)
                .create(on: app.db)
            let later = try Browser(app)
            let fourth = try await Self.begin(later)
            let staffNow = try await Self.finish(
                later, provider: provider, code: "c5", state: fourth.state,
                grant: .init(challenge: fourth.challenge, claims: Self.claims(provider, sub: "esia-7", email: "citizen@consumerdesk.test", nonce: fourth.nonce)))
            #expect(staffNow.status == .forbidden)

            // A staff member's email is refused.
            let staff = try Browser(app)
            let attempt = try await Self.begin(staff)
            let refused = try await Self.finish(
                staff, provider: provider, code: "c3", state: attempt.state,
                grant: .init(challenge: attempt.challenge, claims: Self.claims(provider, sub: "esia-9", email: "admin@consumerdesk.test", nonce: attempt.nonce)))
            #expect(refused.status == .forbidden && refused.body.string.contains("учётной записи сотрудника"))
            #expect(try await UserIdentity.query(on: app.db).filter(\.$subject == "esia-9").count() == 0)
        }
    }

    @Test func everyBadAnswerIsRefusedWithAClearPageAndNoAccount() async throws {
        try await Self.withProvider { app, provider in
            let users = try await User.query(on: app.db).count()
            typealias Case = (String, (String, String) -> Grant, HTTPResponseStatus, String)
            let cases: [Case] = [
                ("tampered", { n, c in Grant(challenge: c, claims: Self.claims(provider, nonce: n), tamper: true) }, .badRequest, "подписи"),
                ("wrong nonce", { _, c in Grant(challenge: c, claims: Self.claims(provider, nonce: "other")) }, .badRequest, "не относится к этому входу"),
                ("no nonce", { _, c in Grant(challenge: c, claims: Self.claims(provider, nonce: nil)) }, .badRequest, "не относится к этому входу"),
                ("expired", { n, c in Grant(challenge: c, claims: Self.claims(provider, expiresIn: -600, nonce: n)) }, .badRequest, "истёк"),
                ("unknown issuer", { n, c in Grant(challenge: c, claims: Self.claims(provider, issuer: "http://127.0.0.1:1", nonce: n)) }, .badRequest, "не от того сервиса"),
                ("other audience", { n, c in Grant(challenge: c, claims: Self.claims(provider, audience: ["someone"], nonce: n)) }, .badRequest, "не для этого сайта"),
                ("two audiences, no azp", { n, c in Grant(challenge: c, claims: Self.claims(provider, audience: [Self.clientID, "other"], nonce: n)) }, .badRequest, "не для этого сайта"),
                ("wrong PKCE verifier", { n, _ in Grant(challenge: "not-the-challenge", claims: Self.claims(provider, nonce: n)) }, .badGateway, "не подтвердил"),
            ]
            for (index, (label, grant, status, words)) in cases.enumerated() {
                let browser = try Browser(app)
                let started = try await Self.begin(browser)
                let response = try await Self.finish(
                    browser, provider: provider, code: "bad\(index)", state: started.state, grant: grant(started.nonce, started.challenge))
                #expect(response.status == status, "\(label): \(response.status)")
                #expect(response.body.string.contains("id=\"oidc-error\"") && response.body.string.contains(words), "\(label)")
                #expect(response.headers[.setCookie].allSatisfy { !$0.hasPrefix("cd_session=") || $0.hasPrefix("cd_session=;") }, "\(label)")
            }

            // A state nobody issued, and a good state from another browser.
            let stranger = try await (try Browser(app)).get("/auth/oidc/callback?code=x&state=made-up")
            #expect(stranger.status == .badRequest && stranger.body.string.contains("устарела"))
            let owner = try Browser(app)
            let started = try await Self.begin(owner)
            provider.grants.withLockedValue {
                $0["z"] = Grant(challenge: started.challenge, claims: Self.claims(provider, nonce: started.nonce))
            }
            let thief = try await (try Browser(app)).get("/auth/oidc/callback?code=z&state=\(Browser.encode(started.state))")
            #expect(thief.status == .badRequest)
            // The provider said no.
            let cancelled = try Browser(app)
            let denied = try await Self.begin(cancelled)
            let page = try await cancelled.get(
                "/auth/oidc/callback?error=access_denied&error_description=\(Browser.encode("Пользователь отказался"))&state=\(Browser.encode(denied.state))")
            #expect(page.status == .badRequest && page.body.string.contains("Пользователь отказался"))
            // Some providers leave the state out of a refusal: still the refusal, not a stale link.
            let bare = try await (try Browser(app)).get("/auth/oidc/callback?error=access_denied&error_description=PHISHING-TEXT")
            #expect(bare.status == .badRequest && bare.body.string.contains("Вход отменён на стороне сервиса входа"))
            #expect(!bare.body.string.contains("PHISHING-TEXT"), "the provider's words only for a sign-in this browser started")

            #expect(try await User.query(on: app.db).count() == users)
            #expect(try await UserIdentity.query(on: app.db).count() == 0)
        }
    }

    @Test func aProviderThatDoesNotAnswerGetsAClearPage() async throws {
        try await withApp(configure: { config in
            config.oidc = OIDCSettings(issuer: "http://127.0.0.1:9", clientID: "x", clientSecret: nil)
        }) { app in
            let page = try await (try Browser(app)).get("/auth/oidc/start")
            #expect(page.status == .badGateway && page.body.string.contains("недоступен"))
        }
        try await withApp { app in
            let browser = try Browser(app)
            let start = try await browser.get("/auth/oidc/start")
            #expect(start.status == .notFound)
            let login = try await browser.get("/login")
            #expect(!login.body.string.contains("oidc-sign-in"))
        }
    }
}
