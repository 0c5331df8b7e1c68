import Foundation

/// The bot's menu (issue 7): sphere → topic → answer, edited by specialists. An item with children is a
/// step of the menu; an item without is an answer (its text, a link to the FAQ, an article or a claim).
public enum BotMenu {
    public static let maxDepth = 3
    public static let maxTitle = 200
    public static let maxAnswer = 4_000

    public struct Item: Sendable, Hashable {
        public var id: UUID
        public var parentID: UUID?

        public init(id: UUID, parentID: UUID?) {
            self.id = id
            self.parentID = parentID
        }
    }

    /// Checks an item's fields and place: a title, an answer of bounded length, a link inside the portal
    /// or on the web, and a parent that exists, is not the item itself or below it, and keeps the menu
    /// at most `maxDepth` levels deep.
    public static func check(
        id: UUID?, title: String?, answer: String?, url: String?, parentID: UUID?, items: [Item]
    ) -> [FieldError] {
        var errors: [FieldError] = []
        let title = title?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if title.isEmpty { errors.append(FieldError("title", .required)) } else if title.count > maxTitle { errors.append(FieldError("title", .tooLong)) }
        if let answer, answer.count > maxAnswer { errors.append(FieldError("answer", .tooLong)) }
        if let url = url?.trimmingCharacters(in: .whitespaces), !url.isEmpty {
            let inside = url.hasPrefix("/") && !url.hasPrefix("//") && !url.contains("\\")
            let web = (url.hasPrefix("https://") || url.hasPrefix("http://")) && URL(string: url)?.host != nil
            if !(inside || web) || url.count > 500 { errors.append(FieldError("url", .invalidValue)) }
        }
        if let parentID {
            let byID = Dictionary(items.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            guard byID[parentID] != nil else { return errors + [FieldError("parentId", .notFound)] }
            // Walk up from the parent: the item itself must not be met, and the chain must stay short.
            var depth = 1
            var cursor: UUID? = parentID
            var seen = Set<UUID>()
            while let current = cursor {
                if current == id || !seen.insert(current).inserted { return errors + [FieldError("parentId", .invalidValue)] }
                depth += 1
                cursor = byID[current]?.parentID
            }
            let below = id.map { height(of: $0, in: items) } ?? 0
            if depth + below > maxDepth { errors.append(FieldError("parentId", .invalidValue)) }
        }
        return errors
    }

    /// Levels below an item (0 for a leaf).
    static func height(of id: UUID, in items: [Item]) -> Int {
        let children = items.filter { $0.parentID == id }
        return children.map { 1 + height(of: $0.id, in: items) }.max() ?? 0
    }
}
