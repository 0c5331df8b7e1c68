import Domain
import PostgresNIO
import Vapor

/// The errors handlers throw. One middleware maps them to HTTP: a Russian page for people,
/// JSON with an English `reason` for the API.
enum AppError: Error {
    case unauthenticated
    case forbidden
    case notFound
    case invalidCredentials
    case emailNotConfirmed
    case accountBlocked
    case throttled(retryAfter: Int)
    /// Too many requests of another kind than sign-in (the bot's questions).
    case rateLimited(retryAfter: Int)
    case csrf
    case badRequest(String)
    case conflict(String)

    var status: HTTPResponseStatus {
        switch self {
        case .unauthenticated, .invalidCredentials: .unauthorized
        case .forbidden, .csrf, .emailNotConfirmed, .accountBlocked: .forbidden
        case .notFound: .notFound
        case .throttled, .rateLimited: .tooManyRequests
        case .badRequest: .badRequest
        case .conflict: .conflict
        }
    }

    var reason: String {
        switch self {
        case .unauthenticated: "Authentication required"
        case .forbidden: "You are not allowed to do this"
        case .notFound: "Not found"
        case .invalidCredentials: "Invalid login or password"
        case .emailNotConfirmed: "Email address is not confirmed; a new confirmation link was sent"
        case .accountBlocked: "Account is blocked"
        case .throttled(let seconds): "Too many failed sign-in attempts; retry after \(seconds) seconds"
        case .rateLimited(let seconds): "Too many requests; retry after \(seconds) seconds"
        case .csrf: "Invalid or missing CSRF token"
        case .badRequest(let message): message
        case .conflict(let message): message
        }
    }
}

/// The JSON error body of the API.
struct APIErrorBody: Content {
    struct Field: Content {
        var field: String
        var code: String
        var message: String
    }

    struct FileIssue: Content {
        var line: Int?
        var path: String
        var code: String
        var value: String
        var message: String
    }

    var error: Bool = true
    var reason: String
    var fields: [Field]?
    var issues: [FileIssue]?
    /// On a 409 from an action: the appeal as it is now, so the client can show it and decide again.
    var appeal: AppealDTO?
}

extension Request {
    /// API requests get JSON errors; everything else gets pages.
    var wantsJSON: Bool {
        url.path.hasPrefix("/api/") || url.path == "/metrics" || url.path.hasSuffix(".json")
            || (headers.first(name: .accept)?.contains("application/json") ?? false)
    }
}

/// Maps every error to a response. Unknown errors become 500 without internals in the body.
struct AppErrorMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            return await response(for: error, request: request)
        }
    }

    func response(for error: any Error, request: Request) async -> Response {
        var status = HTTPResponseStatus.internalServerError
        var reason = "Something went wrong"
        var fields: [APIErrorBody.Field]?
        var issues: [APIErrorBody.FileIssue]?
        var headers = HTTPHeaders()

        switch error {
        case let error as AppError:
            status = error.status
            reason = error.reason
            if case .throttled(let seconds) = error { headers.replaceOrAdd(name: .retryAfter, value: String(seconds)) }
            if case .rateLimited(let seconds) = error { headers.replaceOrAdd(name: .retryAfter, value: String(seconds)) }
        case let refusal as LifecycleRefusal:
            status = refusal.status
            reason = refusal.reason
        case let failure as ValidationFailure:
            status = failure.isConflictOnly ? .conflict : .unprocessableEntity
            reason = "Validation failed: "
                + failure.errors.map { "\($0.field) \(Strings.en($0.code))" }.joined(separator: "; ")
            fields = failure.errors.map { .init(field: $0.field, code: $0.code.rawValue, message: Strings.en($0.code)) }
        case let failure as ClassifierImportFailure:
            status = .unprocessableEntity
            reason = "The classifier file was not imported: " + failure.issues.prefix(5).map { issue in
                (issue.line.map { "line \($0): " } ?? "") + "\(issue.path) \(Strings.en(issue.code))"
            }.joined(separator: "; ")
            issues = failure.issues.map {
                .init(line: $0.line, path: $0.path, code: $0.code.rawValue, value: $0.value, message: Strings.en($0.code))
            }
        case let abort as any AbortError:
            status = abort.status
            reason = abort.reason
            headers = abort.headers
        case let database as PSQLError where database.serverInfo?[.sqlState] == "22021":
            // A NUL character (or a byte that is not UTF-8) in text: PostgreSQL cannot store it, and it
            // was the client's to send.
            status = .badRequest
            reason = "The request contains a character that cannot be stored (NUL or invalid UTF-8)"
        case is DecodingError:
            status = .badRequest
            reason = "Malformed request body: \(String(describing: error))"
        case _ where String(reflecting: type(of: error)).hasPrefix("MultipartKit."):
            // The multipart parser's own error type is private; a body it cannot read is the client's fault.
            status = .badRequest
            reason = "Malformed multipart body"
        default:
            request.logger.report(error: error)
        }
        if status.code >= 500 {
            request.logger.error("Request failed: \(String(reflecting: error))")
            reason = "Internal server error"
        }

        if request.wantsJSON {
            let response = Response(status: status, headers: headers)
            do {
                try response.content.encode(APIErrorBody(reason: reason, fields: fields, issues: issues))
            } catch {
                response.body = .init(string: "{\"error\":true,\"reason\":\"Internal server error\"}")
            }
            return response
        }
        if case .unauthenticated = error as? AppError {
            let next = request.url.path + (request.url.query.map { "?" + $0 } ?? "")
            let target = "/login?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")
            return request.redirect(to: target, redirectType: .normal)
        }
        var text = Strings.errorPage(status.code)
        if case .throttled(let seconds) = error as? AppError { text.message = Strings.throttled(seconds: seconds) }
        if case .rateLimited(let seconds) = error as? AppError { text.message = Strings.rateLimited(seconds: seconds) }
        if case .csrf = error as? AppError { text.message = Strings.csrfFailed }
        do {
            let page = ErrorPage(
                layout: await Layout.make(for: request, title: text.title), status: Int(status.code),
                title: text.title, message: text.message)
            let response = try await request.view.render("errors/error", page).encodeResponse(for: request)
            response.status = status
            for (name, value) in headers { response.headers.replaceOrAdd(name: name, value: value) }
            return response
        } catch {
            return Response(status: status, headers: headers, body: .init(string: "\(status.code) \(text.title)"))
        }
    }
}

struct ErrorPage: Encodable {
    var layout: Layout
    var status: Int
    var title: String
    var message: String
}
