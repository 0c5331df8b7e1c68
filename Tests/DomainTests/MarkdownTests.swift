import Testing

@testable import Domain

@Suite("Markdown")
struct MarkdownTests {
    @Test func rendersTheSubsetEditorsUse() {
        let html = Markdown.html("""
            # Заголовок
            ## Раздел

            Абзац с **жирным**, *курсивом* и `кодом`,
            продолжение абзаца и [ссылка](/kb/trade/vozvrat).

            - первый
            - второй

            1. шаг
            2. шаг

            > цитата закона

            ---
            """)
        #expect(html.contains("<h2>Заголовок</h2>"), "the page title is the only h1")
        #expect(html.contains("<h2>Раздел</h2>"))
        #expect(html.contains("<p>Абзац с <strong>жирным</strong>, <em>курсивом</em> и <code>кодом</code>, продолжение абзаца и <a href=\"/kb/trade/vozvrat\">ссылка</a>.</p>"))
        #expect(html.contains("<ul>\n<li>первый</li>\n<li>второй</li>\n</ul>"))
        #expect(html.contains("<ol>\n<li>шаг</li>\n<li>шаг</li>\n</ol>"))
        #expect(html.contains("<blockquote>\n<p>цитата закона</p>\n</blockquote>"))
        #expect(html.contains("<hr>"))
    }

    @Test func scriptsRawHTMLAndDangerousLinksRenderHarmless() {
        let html = Markdown.html("""
            <script>alert(1)</script>
            <img src=x onerror=alert(1)>
            [нажми](javascript:alert(1)) [ещё](JaVaScRiPt:alert(1)) [данные](data:text/html;base64,PHNjcmlwdD4=)
            [вне](//evil.example/x) [ok](https://example.org/a?b=1&c="2") [почта](mailto:info@example.org)
            **<b>жирный</b>** `<code>`
            """)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.lowercased().contains("javascript:"), "dangerous links lose their address: \(html)")
        #expect(!html.contains("data:text"))
        #expect(!html.contains("href=\"//evil"))
        #expect(html.contains("нажми") && html.contains("ещё") && html.contains("данные"), "the labels stay as text")
        #expect(html.contains("<a href=\"https://example.org/a?b=1&amp;c=&quot;2&quot;\" rel=\"noopener nofollow\">ok</a>"))
        #expect(html.contains("<a href=\"mailto:info@example.org\">почта</a>"))
        #expect(html.contains("<strong>&lt;b&gt;жирный&lt;/b&gt;</strong>"))
        #expect(html.contains("<code>&lt;code&gt;</code>"))
        #expect(Markdown.safeURL("java\u{0}script:alert(1)") == nil)
        #expect(Markdown.safeURL(" javascript:alert(1)") == nil)
        #expect(Markdown.safeURL("/faq#x") == "/faq#x")
    }

    @Test func unclosedMarkupStaysText() {
        #expect(Markdown.html("2 * 3 = 6 и *не закрыто") == "<p>2 * 3 = 6 и *не закрыто</p>\n")
        #expect(Markdown.html("[без адреса] и (скобки)") == "<p>[без адреса] и (скобки)</p>\n")
        #expect(Markdown.html("\\*не курсив\\*") == "<p>*не курсив*</p>\n")
        #expect(Markdown.html("```\n<b>код</b>\n```") == "<pre><code>&lt;b&gt;код&lt;/b&gt;</code></pre>\n")
    }

    @Test func hostileInputStaysBoundedAndLinksDoNotNest() {
        // Each would be quadratic (or recurse without end) in a naive renderer; here they finish at once.
        for source in [String(repeating: "[", count: 20_000), String(repeating: "*a ", count: 7_000),
                       String(repeating: "[x](/", count: 4_000), String(repeating: "**a", count: 7_000)] {
            #expect(Markdown.html(source).count >= source.count / 2)
        }
        let nested = Markdown.html(String(repeating: "[", count: 50) + "x" + String(repeating: "](/a)", count: 50))
        #expect(nested.components(separatedBy: "<a ").count - 1 <= 1, "a link inside a link's label stays text")
        #expect(Markdown.safeURL("/\\evil.example") == nil && Markdown.safeURL("\\/evil.example") == nil)
    }

    @Test func plainTextDropsMarkup() {
        #expect(Markdown.plainText("## Возврат\n\nТекст **важный** и [ссылка](/kb).\n\n- пункт") == "Возврат\nТекст важный и ссылка.\nпункт")
    }
}

@Suite("Knowledge base rules")
struct KnowledgeBaseRulesTests {
    @Test func slugsAreMadeFromRussianTitles() {
        #expect(Slug.make(from: "Возврат технически сложных товаров") == "vozvrat-tekhnicheski-slozhnykh-tovarov")
        #expect(Slug.make(from: "Что делать, если ЖКХ «не слышит»?") == "chto-delat-esli-zhkkh-ne-slyshit")
        #expect(Slug.isValid("a-1") && !Slug.isValid("A") && !Slug.isValid("a--b") && !Slug.isValid("-a") && !Slug.isValid("путь"))
        #expect(Slug.make(from: String(repeating: "слово ", count: 40)).count <= Slug.maxLength)
    }

    @Test func articlesAreCheckedFieldByField() throws {
        do {
            _ = try ArticleRules.check(ArticleDraft(slug: "Плохой адрес", title: "Заголовок", sphere: "space", kind: "", body: " "))
            Issue.record("must refuse")
        } catch {
            #expect(Set(error.errors) == [
                FieldError("slug", .invalidValue), FieldError("sphere", .invalidValue), FieldError("kind", .required), FieldError("body", .required),
            ])
        }
        let article = try ArticleRules.check(ArticleDraft(title: "Возврат телефона", sphere: "trade", kind: "legal", tags: "Телефон, возврат, телефон", body: "Текст"))
        #expect(article.slug == "vozvrat-telefona")
        #expect(article.tags == ["телефон", "возврат"])
        #expect(article.status == .draft && article.visibility == .public)
    }

    @Test func audiencesSeeWhatTheyShould() {
        #expect(ContentAudience.visitor.sees(status: .published, visibility: .public))
        #expect(!ContentAudience.visitor.sees(status: .published, visibility: .internal))
        #expect(!ContentAudience.visitor.sees(status: .draft, visibility: .public))
        #expect(ContentAudience.staff.sees(status: .published, visibility: .internal))
        #expect(!ContentAudience.staff.sees(status: .draft, visibility: .internal))
        #expect(ContentAudience.editor.sees(status: .draft, visibility: .internal))
    }

    @Test func frontMatterIsParsed() throws {
        let doc = try FrontMatterDocument.parse("---\nslug: a-b\ntitle: Заголовок: с двоеточием\n---\n\nТекст\n")
        #expect(doc.fields == ["slug": "a-b", "title": "Заголовок: с двоеточием"])
        #expect(doc.body == "Текст")
        #expect(throws: FrontMatterDocument.Problem.noHeader) { try FrontMatterDocument.parse("Текст") }
    }
}
