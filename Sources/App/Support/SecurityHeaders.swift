import Vapor

/// Headers every response carries: no framing (the admin forms cannot be clickjacked), no MIME
/// sniffing, no referrer (confirmation links carry tokens), and a content policy that allows only our
/// own scripts, styles and images.
struct SecurityHeadersMiddleware: AsyncMiddleware {
    static let contentSecurityPolicy = contentSecurityPolicy(frameAncestors: "'none'")

    /// The one policy, with who may frame the page (`'none'` everywhere but the widget's form).
    static func contentSecurityPolicy(frameAncestors: String) -> String {
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; "
            + "frame-ancestors \(frameAncestors); base-uri 'none'; object-src 'none'"
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        let headers: [(String, String)] = [
            ("X-Frame-Options", "DENY"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("Content-Security-Policy", Self.contentSecurityPolicy),
        ]
        var all = headers
        if request.isSecure {
            all.append(("Strict-Transport-Security", "max-age=31536000"))
        }
        // A page that names who may frame it (the widget's form) is not denied framing wholesale.
        let framable = response.headers.first(name: "Content-Security-Policy").map {
            $0.contains("frame-ancestors") && !$0.contains("frame-ancestors 'none'")
        } ?? false
        for (name, value) in all where !response.headers.contains(name: name) {
            if framable, name == "X-Frame-Options" { continue }
            response.headers.replaceOrAdd(name: name, value: value)
        }
        return response
    }
}
