import Foundation

/// The embeddable widget's rules: which sites may frame it, written as origins.
public enum WidgetRules {
    /// `https://Admin.Example.ru/path` → `https://admin.example.ru`; nil for anything that is not an
    /// http(s) origin (no user, query or fragment; a path other than `/` is refused rather than dropped).
    public static func origin(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count <= 200, let url = URLComponents(string: trimmed), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host?.lowercased(), !host.isEmpty,
            url.user == nil, url.password == nil, url.query == nil, url.fragment == nil, url.path.isEmpty || url.path == "/",
            host.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || $0 == "." || $0 == "-" || $0 == ":" || $0 == "[" || $0 == "]" })
        else { return nil }
        var origin = "\(scheme)://\(host)"
        if let port = url.port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) { origin += ":\(port)" }
        return origin
    }

    /// The `frame-ancestors` source list for the allowed origins (our own pages always may).
    public static func frameAncestors(_ origins: [String]) -> String {
        (["'self'"] + origins.sorted()).joined(separator: " ")
    }
}
