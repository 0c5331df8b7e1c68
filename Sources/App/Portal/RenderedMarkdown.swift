import Domain
import NIOConcurrencyHelpers

/// Rendered Markdown, kept per article revision / FAQ version: a page view reads HTML instead of parsing
/// the source again. Bounded; when full it starts over (content changes rarely, the working set is small).
enum RenderedMarkdown {
    static let capacity = 2_000
    private static let cache = NIOLockedValueBox<[String: String]>([:])

    static func html(_ source: String, key: String) -> String {
        if let hit = cache.withLockedValue({ $0[key] }) { return hit }
        let html = Markdown.html(source)
        cache.withLockedValue { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[key] = html
        }
        return html
    }
}
