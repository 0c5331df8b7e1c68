import Vapor

/// The version for the visually impaired that Russian government sites provide (ГОСТ Р 52872-2019):
/// larger type in three steps, three high-contrast colour schemes, and images hidden, remembered in a
/// cookie so every page keeps it; `/a11y` switches it and returns to the page the person was on.
struct AccessibilitySettings: Encodable, Equatable, Sendable {
    enum Size: String, CaseIterable, Sendable { case large, larger, largest }
    enum Scheme: String, CaseIterable, Sendable {
        /// Black on white.
        case bw
        /// White (light yellow) on black.
        case wb
        /// Dark blue on light blue.
        case blue
    }

    var size: String
    var scheme: String
    var images: Bool

    static let cookie = "cd_a11y"

    /// `large.bw.1`: size, scheme, images shown.
    init?(cookie: String?) {
        guard let parts = cookie?.split(separator: "."), parts.count == 3,
            let size = Size(rawValue: String(parts[0])), let scheme = Scheme(rawValue: String(parts[1]))
        else { return nil }
        self.size = size.rawValue
        self.scheme = scheme.rawValue
        self.images = parts[2] == "1"
    }

    init(size: Size, scheme: Scheme, images: Bool) {
        self.size = size.rawValue
        self.scheme = scheme.rawValue
        self.images = images
    }

    var cookieValue: String { "\(size).\(scheme).\(images ? 1 : 0)" }
    /// The classes on `<html>` that the stylesheet keys on.
    var classes: String { "a11y a11y-\(size) a11y-\(scheme)" + (images ? "" : " a11y-noimages") }

    static func of(_ request: Request) -> AccessibilitySettings? {
        AccessibilitySettings(cookie: request.cookies[cookie]?.string)
    }
}

struct AccessibilityController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("a11y", use: change)
    }

    /// A plain link (GET): it only changes how pages look, never data, and must work without scripts.
    @Sendable
    func change(request: Request) async throws -> Response {
        let next = request.safeNext(try? request.query.get(String.self, at: "next")) ?? "/"
        let response = request.redirect(to: next, redirectType: .normal)
        let secure = request.isSecure
        if (try? request.query.get(String.self, at: "off")) != nil {
            response.cookies[AccessibilitySettings.cookie] = HTTPCookies.Value(string: "", expires: Date(timeIntervalSince1970: 0), path: "/", isSecure: secure, isHTTPOnly: true, sameSite: .lax)
            return response
        }
        var settings = AccessibilitySettings.of(request) ?? AccessibilitySettings(size: .large, scheme: .bw, images: true)
        if let size = (try? request.query.get(String.self, at: "size")).flatMap(AccessibilitySettings.Size.init(rawValue:)) {
            settings.size = size.rawValue
        }
        if let scheme = (try? request.query.get(String.self, at: "scheme")).flatMap(AccessibilitySettings.Scheme.init(rawValue:)) {
            settings.scheme = scheme.rawValue
        }
        if let images = try? request.query.get(String.self, at: "images") { settings.images = images != "off" }
        response.cookies[AccessibilitySettings.cookie] = HTTPCookies.Value(
            string: settings.cookieValue, maxAge: 365 * 24 * 3600, path: "/", isSecure: secure, isHTTPOnly: true, sameSite: .lax)
        return response
    }
}
