import Domain
import Fluent
import Vapor

/// Sign-in, registration, email confirmation, sign-out and the account page (HTML).
struct AuthController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("login", use: loginForm)
        routes.post("login", use: login)
        routes.post("logout", use: logout)
        routes.get("register", use: registerForm)
        routes.grouped(RateLimitMiddleware(.registration)).post("register", use: register)
        routes.get("confirm-email", use: confirmEmail)
        routes.get("account", use: account)
    }

    struct LoginPage: Encodable {
        var layout: Layout
        var login: String
        var next: String?
        var error: String?
        /// «Войти через …» when an OpenID Connect provider is configured, with its link.
        var externalName: String?
        var externalURL: String?

        init(layout: Layout, login: String, next: String?, error: String? = nil, request: Request) {
            self.layout = layout
            self.login = login
            self.next = next
            self.error = error
            if let oidc = request.application.config.oidc {
                externalName = oidc.displayName
                externalURL = "/auth/oidc/start" + (next.map { "?next=" + OIDCProvider.formEncode($0) } ?? "")
            }
        }
    }

    struct LoginForm: Content {
        var login: String?
        var password: String?
        var next: String?
    }

    @Sendable
    func loginForm(request: Request) async throws -> Response {
        if request.currentUser != nil { return request.seeOther("/account") }
        let next = request.safeNext(try? request.query.get(String.self, at: "next"))
        return try await request.render(
            "auth/login", LoginPage(layout: await Layout.make(for: request, title: "Вход"), login: "", next: next, request: request))
    }

    @Sendable
    func login(request: Request) async throws -> Response {
        let form = try request.content.decode(LoginForm.self)
        let next = request.safeNext(form.next)
        func page(_ error: String, _ status: HTTPResponseStatus) async throws -> Response {
            try await request.render(
                "auth/login",
                LoginPage(
                    layout: await Layout.make(for: request, title: "Вход"), login: form.login ?? "", next: next,
                    error: error, request: request), status: status)
        }
        guard let login = form.login?.nonBlank, let password = form.password, !password.isEmpty else {
            return try await page(Strings.invalidCredentials, .unprocessableEntity)
        }
        do {
            let user = try await AccountService.authenticate(login: login, password: password, on: request)
            let response = request.seeOther(next ?? "/account")
            try await AccountService.startSession(for: user, on: request, response: response)
            return response
        } catch let error as AppError {
            switch error {
            case .invalidCredentials: return try await page(Strings.invalidCredentials, .unauthorized)
            case .emailNotConfirmed: return try await page(Strings.emailNotConfirmed, .forbidden)
            case .accountBlocked: return try await page(Strings.accountBlocked, .forbidden)
            case .throttled(let seconds):
                let response = try await page(Strings.throttled(seconds: seconds), .tooManyRequests)
                response.headers.replaceOrAdd(name: .retryAfter, value: String(seconds))
                return response
            default: throw error
            }
        }
    }

    @Sendable
    func logout(request: Request) async throws -> Response {
        let response = request.seeOther("/", flash: Strings.signedOut)
        try await AccountService.endSession(on: request, response: response)
        return response
    }

    struct RegisterPage: Encodable {
        var layout: Layout
        var values: [String: String]
        var errors: [String: String]
        var consent: Bool
        var hasErrors: Bool { !errors.isEmpty }

        enum CodingKeys: String, CodingKey { case layout, values, errors, consent, hasErrors }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(layout, forKey: .layout)
            try container.encode(values, forKey: .values)
            try container.encode(errors, forKey: .errors)
            try container.encode(consent, forKey: .consent)
            try container.encode(hasErrors, forKey: .hasErrors)
        }
    }

    struct RegisterForm: Content {
        var surname: String?
        var name: String?
        var patronymic: String?
        var email: String?
        var phone: String?
        var password: String?
        var passwordConfirm: String?
        var consent: String?
    }

    struct DonePage: Encodable {
        var layout: Layout
        var heading: String
        var message: String
        var showLogin: Bool
    }

    @Sendable
    func registerForm(request: Request) async throws -> Response {
        try await request.render(
            "auth/register",
            RegisterPage(layout: await Layout.make(for: request, title: "Регистрация"), values: [:], errors: [:], consent: false))
    }

    @Sendable
    func register(request: Request) async throws -> Response {
        let form = try request.content.decode(RegisterForm.self)
        let input = RegistrationInput(
            surname: form.surname, name: form.name, patronymic: form.patronymic, email: form.email, phone: form.phone,
            password: form.password, passwordConfirm: form.passwordConfirm, consent: form.consent != nil)
        return try await request.submitForm("auth/register") {
            let user = try await AccountService.registerCitizen(input, requireConfirmation: true, on: request)
            let message = user.email != nil ? Strings.registered : Strings.registeredByPhone
            return try await request.render(
                "auth/done",
                DonePage(
                    layout: await Layout.make(for: request, title: "Регистрация"), heading: "Почти готово",
                    message: message, showLogin: user.email == nil))
        } onInvalid: { failure in
            // Passwords are never sent back into the page.
            let values = [
                "surname": form.surname ?? "", "name": form.name ?? "", "patronymic": form.patronymic ?? "",
                "email": form.email ?? "", "phone": form.phone ?? "",
            ]
            return RegisterPage(
                layout: await Layout.make(for: request, title: "Регистрация"), values: values,
                errors: FormErrors.russian(failure), consent: form.consent != nil)
        }
    }

    @Sendable
    func confirmEmail(request: Request) async throws -> Response {
        let token = (try? request.query.get(String.self, at: "token")) ?? ""
        let ok = token.isEmpty ? false : try await AccountService.confirmEmail(token: token, on: request)
        return try await request.render(
            "auth/done",
            DonePage(
                layout: await Layout.make(for: request, title: "Подтверждение адреса"),
                heading: ok ? "Адрес подтверждён" : "Ссылка не сработала",
                message: ok ? Strings.emailConfirmed : Strings.confirmationInvalid, showLogin: true),
            status: ok ? .ok : .badRequest)
    }

    struct AccountPage: Encodable {
        struct GrantRow: Encodable {
            var role: String
            var organisation: String?
        }

        var layout: Layout
        var fullName: String
        var email: String?
        var emailConfirmed: Bool
        var phone: String?
        var grants: [GrantRow]
        /// Confirmed by the sign-in provider (Госуслуги), shown masked.
        var snils: String?
    }

    @Sendable
    func account(request: Request) async throws -> Response {
        let user = try request.requireUser()
        let grants = try await RoleGrant.query(on: request.db)
            .filter(\.$user.$id == user.requireID())
            .with(\.$organisation)
            .all()
        let rows = grants.sorted { $0.role < $1.role }.map {
            AccountPage.GrantRow(role: Strings.title($0.role), organisation: $0.organisation?.name)
        }
        return try await request.render(
            "auth/account",
            AccountPage(
                layout: await Layout.make(for: request, title: "Личный кабинет"), fullName: user.personName.full,
                email: user.email, emailConfirmed: user.emailConfirmedAt != nil, phone: user.phone, grants: rows,
                snils: try await UserIdentity.query(on: request.db).filter(\.$user.$id == user.requireID()).all()
                    .compactMap(\.snils).first.map(ExternalSignIn.maskedSNILS)))
    }
}
