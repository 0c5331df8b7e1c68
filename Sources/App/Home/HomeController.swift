import Domain
import Vapor

/// The portal's front page.
struct HomeController: RouteCollection {
    struct HomePage: Encodable {
        var layout: Layout
        var spheres: [SphereDTO]
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get(use: home)
    }

    @Sendable
    func home(request: Request) async throws -> Response {
        let spheres = try await OrganisationQueries.spheres(on: request.db).map { SphereDTO(code: $0.code, name: $0.name) }
        return try await request.render(
            "home/index",
            HomePage(layout: await Layout.make(for: request, title: "Защита прав потребителей"), spheres: spheres))
    }
}
