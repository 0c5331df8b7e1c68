import Domain
import Vapor

/// The portal's front page: search, the three things people come for (an appeal, a claim, an
/// answer), the nine spheres and four kinds of material, the most helpful answers, and the
/// consultation corner.
struct HomeController: RouteCollection {
    struct HomePage: Encodable {
        var layout: Layout
        var spheres: [PortalController.SphereLink]
        var kinds: [PortalController.KindLink]
        var faq: [PortalController.FAQRow]
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get(use: home)
    }

    @Sendable
    func home(request: Request) async throws -> Response {
        let audience = await KnowledgeBaseService.audience(of: request)
        let counts = try await KnowledgeBaseService.counts(audience: audience, on: request.db)
        var kindTotals: [String: Int] = [:]
        for perKind in counts.values { for (kind, n) in perKind { kindTotals[kind, default: 0] += n } }
        let spheres = try await PortalController.sphereNames(on: request.db).map {
            PortalController.SphereLink(code: $0.code, name: $0.name, url: "/kb/\($0.code)", count: counts[$0.code]?.values.reduce(0, +) ?? 0, current: false)
        }
        let faq = try await KnowledgeBaseService.faq(sphere: nil, includeDrafts: false, limit: 6, on: request.db)
        return try await request.render(
            "home/index",
            HomePage(
                layout: await Layout.make(for: request, title: "Защита прав потребителей"), spheres: spheres,
                kinds: ArticleKind.allCases.map {
                    PortalController.KindLink(code: $0.rawValue, name: PortalController.kindName($0), count: kindTotals[$0.rawValue] ?? 0, current: false)
                },
                faq: faq.map { PortalController.FAQRow($0) }))
    }
}
