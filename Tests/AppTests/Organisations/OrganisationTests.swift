import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

@Suite("Organisations, staff and access", .serialized)
struct OrganisationTests {
    func organisationID(_ key: String, on app: Application) async throws -> UUID {
        let name = try #require(DemoData.organisations.first { $0.key == key }).name
        return try #require(try await Organisation.query(on: app.db).filter(\.$name == name).first()?.id)
    }

    @Test func demoDataIsLoadedOnceWithEveryRole() async throws {
        try await withApp(demo: true) { app in
            #expect(try await Organisation.query(on: app.db).count() == DemoData.organisations.count)
            try await DemoData.load(on: app.db, app: app)
            #expect(try await Organisation.query(on: app.db).count() == DemoData.organisations.count)
            let roles = Set(try await RoleGrant.query(on: app.db).all().map(\.role))
            #expect(roles == Set(Role.allCases))
            #expect(try await Sphere.query(on: app.db).count() == 9)
            let kinds = try await Organisation.query(on: app.db).all().map(\.kind)
            #expect(kinds.filter { $0 == .territorialDepartment }.count == 2)
            #expect(kinds.filter { $0 == .municipality }.count == 3)
            #expect(kinds.filter { $0 == .partner }.count == 1)
        }
    }

    @Test func directoryListsTheTreeWithTerritoriesAndSpheres() async throws {
        try await withApp(demo: true) { app in
            let api = try await API.signedIn(app, "executor@consumerdesk.test")
            let response = try await api.send(.GET, "/api/v1/organisations")
            #expect(response.status == .ok)
            let list = try response.content.decode([OrganisationDTO].self)
            #expect(list.count == DemoData.organisations.count)
            let volzhsky = try #require(list.first { $0.shortName == "ТО в г. Волжском" })
            #expect(volzhsky.territories.count == 4)
            #expect(volzhsky.spheres.count == 9)
            let parentIndex = try #require(list.firstIndex { $0.id == volzhsky.parentId })
            #expect(parentIndex < list.firstIndex { $0.id == volzhsky.id }!, "parents come before children")

            let page = try Browser(app)
            try await page.signIn("executor@consumerdesk.test")
            let html = try await page.get("/admin/organisations")
            #expect(html.status == .ok)
            #expect(html.body.string.contains("Кредитный правозащитник"))
            #expect(!html.body.string.contains("id=\"new-organisation\""), "an executor cannot create organisations")
        }
    }

    @Test func citizensCannotReadTheStaffDirectory() async throws {
        try await withApp(demo: true) { app in
            let api = try await API.signedIn(app, "citizen@consumerdesk.test")
            #expect(try await api.send(.GET, "/api/v1/organisations").status == .forbidden)
            let browser = try Browser(app)
            try await browser.signIn("citizen@consumerdesk.test")
            let page = try await browser.get("/admin/organisations")
            #expect(page.status == .forbidden)
            #expect(page.body.string.contains("Доступ запрещён"))
        }
    }

    @Test func adminOfOneOrganisationCannotTouchAnother() async throws {
        try await withApp(demo: true) { app in
            let own = try await organisationID("adm-volgograd", on: app)
            let other = try await organisationID("to-volzhsky", on: app)
            let api = try await API.signedIn(app, "admin.volgograd@consumerdesk.test")

            #expect(try await api.send(.GET, "/api/v1/organisations/\(own)/staff").status == .ok)
            let denied = try await api.send(.GET, "/api/v1/organisations/\(other)/staff")
            #expect(denied.status == .forbidden)
            #expect(try denied.content.decode(APIErrorBody.self).reason == "You are not allowed to do this")
            #expect(try await api.send(.PATCH, "/api/v1/organisations/\(other)", json: ["name": "Захват"]).status == .forbidden)
            // Its own admin may edit it, but not change what it is: a regional office sees the whole region's
            // statistics, so that is decided above it (here, by the platform).
            let promoted = try await api.send(.PATCH, "/api/v1/organisations/\(own)", json: ["kind": "regional_office"])
            #expect(promoted.status == .forbidden, "\(promoted.body.string)")
            #expect(try await Organisation.find(own, on: app.db)?.kind == .municipality)
            let renamed = try await api.send(.PATCH, "/api/v1/organisations/\(own)", json: ["shortName": "Адм. Волгограда"])
            #expect(renamed.status == .ok, "\(renamed.body.string)")
            let staff: [String: String] = [
                "surname": "Орлов", "name": "Пётр", "email": "orlov@example.test", "password": "Kv7pLq2Zr9x",
                "organisationId": other.uuidString,
            ]
            #expect(try await api.send(.POST, "/api/v1/staff", json: AnyJSONWithRoles(staff, roles: ["executor"])).status == .forbidden)

            let executor = try #require(try await User.query(on: app.db).filter(\.$email == "executor@consumerdesk.test").first())
            #expect(try await api.send(.GET, "/api/v1/users/\(executor.requireID())").status == .forbidden)
            let citizen = try #require(try await User.query(on: app.db).filter(\.$email == "citizen@consumerdesk.test").first())
            #expect(try await api.send(.GET, "/api/v1/users/\(citizen.requireID())").status == .forbidden)

            // Granting a role in one's own organisation must not pull an outsider in (and expose them).
            let pull = try await api.send(
                .POST, "/api/v1/users/\(citizen.requireID())/grants", json: ["role": "executor", "organisationId": own.uuidString])
            #expect(pull.status == .forbidden)
            let poach = try await api.send(
                .POST, "/api/v1/users/\(executor.requireID())/grants", json: ["role": "executor", "organisationId": own.uuidString])
            #expect(poach.status == .forbidden)
            #expect(try await RoleGrant.query(on: app.db).filter(\.$organisation.$id == own).count() == 2)

            let browser = try Browser(app)
            try await browser.signIn("admin.volgograd@consumerdesk.test")
            #expect(try await browser.get("/admin/organisations/\(other)/staff/new").status == .forbidden)
            #expect(try await browser.get("/admin/organisations/\(own)/staff/new").status == .ok)
            #expect(try await browser.get("/admin/users/\(executor.requireID())").status == .forbidden)
            let edit = try await browser.post("/admin/organisations/\(other)", form: [("name", "Захват"), ("kind", "territorial_department")])
            #expect(edit.status == .forbidden)
            #expect(try await Organisation.query(on: app.db).filter(\.$name == "Захват").count() == 0)
        }
    }

    @Test func platformAdminCreatesAndEditsOrganisationsWithValidation() async throws {
        try await withApp(demo: true) { app in
            let api = try await API.signedIn(app, "admin@consumerdesk.test")
            let office = try await organisationID("rpn", on: app)
            let territories = try await api.send(.GET, "/api/v1/territories").content.decode([TerritoryDTO].self)
            let mikhaylovka = try #require(territories.first { $0.code == "vlg-mikhaylovka" })

            let created = try await api.send(
                .POST, "/api/v1/organisations",
                json: OrganisationInput(
                    name: "Территориальный отдел в городе Михайловке", shortName: "ТО в г. Михайловке",
                    kind: "territorial_department", parentId: office.uuidString, inn: "7707083893",
                    email: "mikh@example.test", phone: "8 (84463) 2-12-34", address: nil,
                    territoryIds: [mikhaylovka.id.uuidString], sphereCodes: ["trade", "tourism"], isActive: nil))
            #expect(created.status == .created)
            let dto = try created.content.decode(OrganisationDTO.self)
            #expect(dto.parentId == office)
            #expect(dto.territories.map(\.code) == ["vlg-mikhaylovka"])
            #expect(dto.spheres == ["trade", "tourism"])
            #expect(dto.phone == "+78446321234")

            let invalid = try await api.send(
                .POST, "/api/v1/organisations",
                json: OrganisationInput(
                    name: "", kind: "municipality", parentId: office.uuidString, inn: "123", email: "x@",
                    sphereCodes: ["space"]))
            #expect(invalid.status == .unprocessableEntity)
            let fields = Set(try invalid.content.decode(APIErrorBody.self).fields?.map(\.field) ?? [])
            #expect(fields == ["name", "parentId", "inn", "email", "sphereCodes"])

            let duplicate = try await api.send(
                .POST, "/api/v1/organisations",
                json: OrganisationInput(name: dto.name, kind: "territorial_department", parentId: office.uuidString))
            #expect(duplicate.status == .unprocessableEntity)

            // Moving the regional office under its own department would be a cycle.
            let cycle = try await api.send(.PATCH, "/api/v1/organisations/\(office)", json: ["parentId": dto.id.uuidString])
            #expect(cycle.status == .unprocessableEntity)

            let renamed = try await api.send(.PATCH, "/api/v1/organisations/\(dto.id)", json: ["shortName": "ТО Михайловка"])
            #expect(renamed.status == .ok)
            let after = try renamed.content.decode(OrganisationDTO.self)
            #expect(after.shortName == "ТО Михайловка")
            #expect(after.spheres == ["trade", "tourism"], "PATCH keeps what it does not mention")
        }
    }

    @Test func organisationAdminCanCreateOnlyInsideTheirTree() async throws {
        try await withApp(demo: true) { app in
            let api = try await API.signedIn(app, "admin.volgograd@consumerdesk.test")
            let own = try await organisationID("adm-volgograd", on: app)
            let root = try await api.send(
                .POST, "/api/v1/organisations", json: OrganisationInput(name: "Новый корень", kind: "partner"))
            #expect(root.status == .forbidden)
            let child = try await api.send(
                .POST, "/api/v1/organisations",
                json: OrganisationInput(name: "Администрация Дзержинского района", kind: "municipality", parentId: own.uuidString))
            #expect(child.status == .created)
        }
    }

    @Test func adminFormCreatesAnOrganisationAndShowsRussianErrors() async throws {
        try await withApp(demo: true) { app in
            let browser = try Browser(app)
            try await browser.signIn("admin@consumerdesk.test")
            #expect(try await browser.get("/admin/organisations/new").status == .ok)
            let bad = try await browser.post("/admin/organisations", form: [("name", ""), ("kind", "territorial_department")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.string.contains("Заполните это поле."))
            let good = try await browser.post(
                "/admin/organisations",
                form: [("name", "Общество защиты прав потребителей «Щит»"), ("kind", "partner"), ("sphereCodes[]", "trade"),
                       ("sphereCodes[]", "catering"), ("isActive", "1")])
            #expect(good.status == .seeOther)
            let page = try await browser.get(try #require(good.location))
            #expect(page.status == .ok)
            #expect(page.body.string.contains("Изменения сохранены."))
            let saved = try #require(try await Organisation.query(on: app.db).filter(\.$name == "Общество защиты прав потребителей «Щит»").with(\.$spheres).first())
            #expect(Set(saved.spheres.map(\.code)) == ["trade", "catering"])
        }
    }

    @Test func aPlatformGrantCannotBeStoredTwice() async throws {
        try await withApp(demo: true) { app in
            let admin = try #require(try await User.query(on: app.db).filter(\.$email == "admin@consumerdesk.test").first())
            let duplicate = RoleGrant(userID: try admin.requireID(), grant: Grant(role: .admin, organisationID: nil), grantedBy: nil)
            await #expect(throws: (any Error).self) { try await duplicate.create(on: app.db) }
            let api = try await API.signedIn(app, "admin@consumerdesk.test")
            let again = try await api.send(.POST, "/api/v1/users/\(try admin.requireID())/grants", json: ["role": "admin"])
            #expect(again.status == .created, "granting what is already held answers with the existing grant")
            #expect(try await RoleGrant.query(on: app.db).filter(\.$user.$id == admin.requireID()).count() == 1)
        }
    }

    @Test func deactivatedOrganisationsStaffLoseTheirRights() async throws {
        try await withApp(demo: true) { app in
            let own = try await organisationID("adm-volgograd", on: app)
            let scoped = try await API.signedIn(app, "admin.volgograd@consumerdesk.test")
            #expect(try await scoped.send(.GET, "/api/v1/organisations/\(own)/staff").status == .ok)
            let root = try await API.signedIn(app, "admin@consumerdesk.test")
            #expect(try await root.send(.PATCH, "/api/v1/organisations/\(own)", json: AnyJSON.bool("isActive", false)).status == .ok)
            #expect(try await scoped.send(.GET, "/api/v1/organisations/\(own)/staff").status == .forbidden)
        }
    }

    @Test func staffAccountsRolesAndBlocking() async throws {
        try await withApp(demo: true) { app in
            let own = try await organisationID("adm-volgograd", on: app)
            let api = try await API.signedIn(app, "admin.volgograd@consumerdesk.test")
            let staff: [String: String] = [
                "surname": "Орлов", "name": "Пётр", "email": "orlov@example.test", "password": "Kv7pLq2Zr9x",
                "organisationId": own.uuidString,
            ]
            let created = try await api.send(.POST, "/api/v1/staff", json: AnyJSONWithRoles(staff, roles: ["executor", "operator"]))
            #expect(created.status == .created)
            let person = try created.content.decode(UserDTO.self)
            #expect(Set(person.grants.map(\.role)) == [.executor, .operator])
            let mail = try #require(try await OutboxMessage.query(on: app.db).filter(\.$recipient == "orlov@example.test").first())
            #expect(mail.subject == "Вам создана учётная запись в ConsumerDesk")

            let badRole = try await api.send(.POST, "/api/v1/users/\(person.id)/grants", json: ["role": "admin"])
            #expect(badRole.status == .forbidden, "platform-wide admin only by a platform admin")
            let added = try await api.send(.POST, "/api/v1/users/\(person.id)/grants", json: ["role": "manager", "organisationId": own.uuidString])
            #expect(added.status == .created)
            let grant = try added.content.decode(UserDTO.GrantDTO.self)
            #expect(try await api.send(.DELETE, "/api/v1/users/\(person.id)/grants/\(grant.id)").status == .noContent)

            // The new person confirms their address, signs in, then gets blocked: sessions and tokens end.
            let link = try #require(mail.bodyText.split(separator: "\n").first { $0.contains("token=") })
            let token = String(link.split(separator: "token=")[1])
            let confirm = try await Browser(app).get("/confirm-email?token=\(token)")
            #expect(confirm.status == .ok)
            let browser = try Browser(app)
            try await browser.signIn("orlov@example.test", password: "Kv7pLq2Zr9x")
            let theirAPI = try await API.signedIn(app, "orlov@example.test", password: "Kv7pLq2Zr9x")
            let blocked = try await api.send(.PATCH, "/api/v1/users/\(person.id)", json: ["isActive": false])
            #expect(blocked.status == .ok)
            #expect(try await browser.get("/account").status == .seeOther)
            #expect(try await theirAPI.send(.GET, "/api/v1/me").status == .unauthorized)
            let again = try await Browser(app).post("/login", form: [("login", "orlov@example.test"), ("password", "Kv7pLq2Zr9x")])
            #expect(again.status == .forbidden)
            #expect(again.body.string.contains("заблокирована"))
        }
    }
}

struct AnyJSONWithRoles: Encodable, Sendable {
    var fields: [String: String]
    var roles: [String]

    init(_ fields: [String: String], roles: [String]) {
        self.fields = fields
        self.roles = roles
    }

    func encode(to encoder: any Encoder) throws {
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        var container = encoder.container(keyedBy: Key.self)
        for (key, value) in fields { try container.encode(value, forKey: Key(stringValue: key)) }
        try container.encode(roles, forKey: Key(stringValue: "roles"))
    }
}

extension OrganisationInput {
    init(
        name: String?, shortName: String? = nil, kind: String?, parentId: String? = nil, inn: String? = nil,
        email: String? = nil, phone: String? = nil, address: String? = nil, territoryIds: [String]? = nil,
        sphereCodes: [String]? = nil, isActive: Bool? = nil
    ) {
        self.init()
        self.name = name
        self.shortName = shortName
        self.kind = kind
        self.parentId = parentId
        self.inn = inn
        self.email = email
        self.phone = phone
        self.address = address
        self.territoryIds = territoryIds
        self.sphereCodes = sphereCodes
        self.isActive = isActive
    }
}
