import Domain
import Fluent
import Foundation

/// A knowledge-base article (the latest revision; earlier ones are in `kb_article_revisions`).
/// Fluent models are reference types that the framework mutates; they never cross tasks here.
final class Article: Model, @unchecked Sendable {
    static let schema = "kb_articles"

    @ID(key: .id) var id: UUID?
    @Field(key: "slug") var slug: String
    @Field(key: "sphere") var sphere: String
    @Field(key: "kind") var kind: String
    @Field(key: "title") var title: String
    @Field(key: "summary") var summary: String
    @Field(key: "tags") var tagsField: String
    @Field(key: "body") var body: String
    @Field(key: "status") var status: String
    @Field(key: "visibility") var visibility: String
    @Field(key: "revision") var revision: Int
    @Field(key: "views") var views: Int
    @OptionalField(key: "author_id") var authorID: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    @OptionalField(key: "published_at") var publishedAt: Date?

    init() {}

    var tags: [String] {
        get { tagsField.split(separator: ",").map(String.init) }
        set { tagsField = newValue.isEmpty ? "" : "," + newValue.map { $0.replacingOccurrences(of: ",", with: " ") }.joined(separator: ",") + "," }
    }

    var articleStatus: ArticleStatus { ArticleStatus(rawValue: status) ?? .draft }
    var articleVisibility: ArticleVisibility { ArticleVisibility(rawValue: visibility) ?? .internal }
    var url: String { "/kb/\(sphere)/\(slug)" }

    func apply(_ checked: CheckedArticle) {
        slug = checked.slug
        sphere = checked.sphere.rawValue
        kind = checked.kind.rawValue
        title = checked.title
        summary = checked.summary
        tags = checked.tags
        body = checked.body
        status = checked.status.rawValue
        visibility = checked.visibility.rawValue
    }
}

/// One saved state of an article, kept for the revision history and for restoring.
final class ArticleRevision: Model, @unchecked Sendable {
    static let schema = "kb_article_revisions"

    @ID(key: .id) var id: UUID?
    @Parent(key: "article_id") var article: Article
    @Field(key: "revision") var revision: Int
    @Field(key: "slug") var slug: String
    @Field(key: "sphere") var sphere: String
    @Field(key: "kind") var kind: String
    @Field(key: "title") var title: String
    @Field(key: "summary") var summary: String
    @Field(key: "tags") var tagsField: String
    @Field(key: "body") var body: String
    @Field(key: "status") var status: String
    @Field(key: "visibility") var visibility: String
    @OptionalField(key: "author_id") var authorID: UUID?
    @OptionalField(key: "note") var note: String?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(of article: Article, note: String?) throws {
        self.$article.id = try article.requireID()
        revision = article.revision
        slug = article.slug
        sphere = article.sphere
        kind = article.kind
        title = article.title
        summary = article.summary
        tagsField = article.tagsField
        body = article.body
        status = article.status
        visibility = article.visibility
        authorID = article.authorID
        self.note = note
        createdAt = article.updatedAt
    }

    var draft: ArticleDraft {
        ArticleDraft(
            slug: slug, title: title, summary: summary, sphere: sphere, kind: kind,
            tags: tagsField.split(separator: ",").joined(separator: ", "), body: body, status: status, visibility: visibility)
    }
}

/// A question and its answer («Часто задаваемые вопросы»).
final class FAQEntry: Model, @unchecked Sendable {
    static let schema = "faq_entries"

    @ID(key: .id) var id: UUID?
    @Field(key: "slug") var slug: String
    @Field(key: "sphere") var sphere: String
    @Field(key: "question") var question: String
    @Field(key: "answer") var answer: String
    @Field(key: "references") var referencesField: String
    @Field(key: "status") var status: String
    @Field(key: "views") var views: Int
    @Field(key: "helpful") var helpful: Int
    @Field(key: "unhelpful") var unhelpful: Int
    @OptionalField(key: "author_id") var authorID: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var references: [String] {
        get { referencesField.split(separator: "\n").map(String.init) }
        set { referencesField = newValue.joined(separator: "\n") }
    }

    var url: String { "/faq/\(slug)" }

    func apply(_ checked: CheckedFAQ) {
        slug = checked.slug
        sphere = checked.sphere.rawValue
        question = checked.question
        answer = checked.answer
        references = checked.references
        status = checked.status.rawValue
    }
}
