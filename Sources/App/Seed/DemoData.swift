import Domain
import Fluent
import Vapor

/// Demo organisations and one account for every role (README «Demo accounts»). Loaded once: if the
/// regional office exists, nothing is added. Passwords are printed at start, in demo mode only.
enum DemoData {
    static let password = "demo2026"

    struct DemoOrganisation {
        var key: String
        var name: String
        var shortName: String
        var kind: OrganisationKind
        var parent: String?
        var territories: [String]
        var spheres: [SphereCode]
        var email: String?
        var phone: String?
        var address: String?
    }

    static let organisations: [DemoOrganisation] = [
        .init(
            key: "rpn", name: "Управление Роспотребнадзора по Волгоградской области", shortName: "Управление Роспотребнадзора",
            kind: .regionalOffice, parent: nil, territories: ["vlg"], spheres: SphereCode.allCases,
            email: "info@rpn.consumerdesk.test", phone: "+7 8442 24-36-47", address: "400131, г. Волгоград, ул. Коммунистическая, 1"),
        .init(
            key: "to-volzhsky",
            name: "Территориальный отдел Управления Роспотребнадзора по Волгоградской области в городе Волжском, Ленинском, Среднеахтубинском, Быковском районах",
            shortName: "ТО в г. Волжском", kind: .territorialDepartment, parent: "rpn",
            territories: ["vlg-volzhsky", "vlg-leninsky", "vlg-sredneakhtubinsky", "vlg-bykovsky"],
            spheres: SphereCode.allCases, email: "volzhsky@rpn.consumerdesk.test", phone: nil, address: nil),
        .init(
            key: "to-kamyshin",
            name: "Территориальный отдел Управления Роспотребнадзора по Волгоградской области в городе Камышине, Камышинском районе",
            shortName: "ТО в г. Камышине", kind: .territorialDepartment, parent: "rpn",
            territories: ["vlg-kamyshin", "vlg-kamyshinsky"], spheres: SphereCode.allCases,
            email: "kamyshin@rpn.consumerdesk.test", phone: nil, address: nil),
        .init(
            key: "gov", name: "Администрация Волгоградской области", shortName: "Администрация области",
            kind: .regionalGovernment, parent: nil, territories: ["vlg"], spheres: [], email: nil, phone: nil, address: nil),
        .init(
            key: "adm-volgograd", name: "Администрация Волгограда", shortName: "Администрация Волгограда",
            kind: .municipality, parent: "gov", territories: ["vlg-volgograd"],
            spheres: [.trade, .catering, .householdServices, .housing], email: "zpp@volgadmin.consumerdesk.test",
            phone: nil, address: "400131, г. Волгоград, ул. Володарского, 5"),
        .init(
            key: "adm-volzhsky", name: "Администрация городского округа — город Волжский",
            shortName: "Администрация г. Волжского", kind: .municipality, parent: "gov", territories: ["vlg-volzhsky"],
            spheres: [.trade, .catering, .householdServices], email: nil, phone: nil, address: nil),
        .init(
            key: "adm-gorodishche", name: "Администрация Городищенского муниципального района",
            shortName: "Администрация Городищенского района", kind: .municipality, parent: "gov",
            territories: ["vlg-gorodishchensky"], spheres: [.trade, .householdServices], email: nil, phone: nil,
            address: nil),
        .init(
            key: "ngo", name: "АНО «Кредитный правозащитник»", shortName: "Кредитный правозащитник", kind: .partner,
            parent: nil, territories: ["vlg"], spheres: [.financialServices], email: nil, phone: nil, address: nil),
    ]

    struct DemoAccount {
        var email: String
        var surname: String
        var name: String
        var patronymic: String
        var role: Role
        var organisation: String?
        var phone: String?
    }

    static let accounts: [DemoAccount] = [
        .init(email: "admin@consumerdesk.test", surname: "Сидоров", name: "Алексей", patronymic: "Петрович", role: .admin, organisation: nil),
        .init(email: "admin.volgograd@consumerdesk.test", surname: "Лебедева", name: "Ольга", patronymic: "Викторовна", role: .admin, organisation: "adm-volgograd"),
        .init(email: "moderator@consumerdesk.test", surname: "Кузнецова", name: "Анна", patronymic: "Игоревна", role: .moderator, organisation: nil),
        .init(email: "coordinator@consumerdesk.test", surname: "Морозов", name: "Дмитрий", patronymic: "Олегович", role: .coordinator, organisation: "to-volzhsky"),
        .init(email: "executor@consumerdesk.test", surname: "Волкова", name: "Елена", patronymic: "Андреевна", role: .executor, organisation: "to-volzhsky"),
        .init(email: "manager@consumerdesk.test", surname: "Павлов", name: "Сергей", patronymic: "Николаевич", role: .manager, organisation: "to-volzhsky"),
        .init(email: "curator@consumerdesk.test", surname: "Смирнова", name: "Наталья", patronymic: "Владимировна", role: .curator, organisation: nil),
        .init(email: "editor@consumerdesk.test", surname: "Попов", name: "Игорь", patronymic: "Сергеевич", role: .editor, organisation: "rpn"),
        .init(email: "operator@consumerdesk.test", surname: "Новикова", name: "Татьяна", patronymic: "Юрьевна", role: .operator, organisation: "adm-volgograd"),
        .init(email: "citizen@consumerdesk.test", surname: "Иванова", name: "Мария", patronymic: "Сергеевна", role: .citizen, organisation: nil, phone: "+79171234567"),
    ]

    /// Outside demo mode the demo accounts (published password) must not sign in, even if an earlier
    /// demo run left them in this database; in demo mode they are active again.
    static func setAccountsActive(_ active: Bool, on db: any Database, logger: Logger) async throws {
        let emails = accounts.map(\.email)
        let changed = try await User.query(on: db).filter(\.$email ~~ emails).filter(\.$isActive == !active).count()
        guard changed > 0 else { return }
        try await User.query(on: db).filter(\.$email ~~ emails).set(\.$isActive, to: active).update()
        if !active {
            try await SessionRow.query(on: db).join(User.self, on: \SessionRow.$user.$id == \User.$id)
                .filter(User.self, \.$email ~~ emails).all().delete(on: db)
            logger.warning("Demo mode is off: \(changed) demo accounts in this database were blocked")
        }
    }

    static let demoPopulations = ["vlg-volgograd": 1_018_000, "vlg-volzhsky": 317_000, "vlg-gorodishchensky": 60_000]

    static func load(on db: any Database, app: Application) async throws {
        try await ReferenceData.load(on: db)
        let root = organisations[0]
        if try await Organisation.query(on: db).filter(\.$name == root.name).count() == 0 {
            let hash = try await app.password.async.hash(password)
            try await db.transaction { db in try await insert(on: db, passwordHash: hash) }
            app.logger.notice("Demo data loaded: \(organisations.count) organisations, \(accounts.count) accounts")
        }
        try await setAccountsActive(true, on: db, logger: app.logger)
        // Populations of the demo municipalities (Rosstat, 1 January 2024, rounded) for the municipal rating;
        // an admin's own figures are kept.
        for (code, population) in demoPopulations {
            try await Territory.query(on: db).filter(\.$code == code).filter(\.$population == nil).set(\.$population, to: population).update()
        }
        var lines = ["Demo mode: demo accounts (password for all: \(password))"]
        for account in accounts {
            let padded = account.email.padding(toLength: 36, withPad: " ", startingAt: 0)
            lines.append("  \(padded) \(account.role.rawValue)\(account.organisation.map { " @ \($0)" } ?? "")")
        }
        app.logger.notice("\(lines.joined(separator: "\n"))")
    }

    /// Demo routing (product.md §3): the regional office by default; territorial departments for their
    /// districts; municipal administrations for trade, catering and household services in their towns
    /// (ЗоЗПП ст. 44) and for the general ПОС categories; the regional administration for general
    /// categories elsewhere; the NGO for credit and insurance disputes region-wide.
    static func insertRoutingRules(
        on db: any Database, organisations ids: [String: UUID], territories: [String: Territory]
    ) async throws {
        func territory(_ code: String) -> UUID? { territories[code]?.id }
        var rules = [RoutingRule(organisationID: ids["rpn"]!)]
        for code in ["vlg-volzhsky", "vlg-leninsky", "vlg-sredneakhtubinsky", "vlg-bykovsky"] {
            rules.append(RoutingRule(territoryID: territory(code), organisationID: ids["to-volzhsky"]!))
        }
        for code in ["vlg-kamyshin", "vlg-kamyshinsky"] {
            rules.append(RoutingRule(territoryID: territory(code), organisationID: ids["to-kamyshin"]!))
        }
        let municipal = [("vlg-volgograd", "adm-volgograd"), ("vlg-volzhsky", "adm-volzhsky"),
                         ("vlg-gorodishchensky", "adm-gorodishche")]
        let categories = try await Category.query(on: db).all()
        for category in categories {
            if category.sphere == nil {
                rules.append(RoutingRule(categoryCode: category.code, organisationID: ids["gov"]!))
                for (place, organisation) in municipal {
                    rules.append(RoutingRule(categoryCode: category.code, territoryID: territory(place), organisationID: ids[organisation]!))
                }
            } else if ["trade", "catering", "household_services"].contains(category.sphere) {
                for (place, organisation) in municipal {
                    rules.append(RoutingRule(categoryCode: category.code, territoryID: territory(place), organisationID: ids[organisation]!))
                }
            }
        }
        for code in ["financial-services-loan-insurance", "financial-services-collectors", "financial-services-microloans",
                     "financial-services-loan-without-consent", "financial-services-credit-history"]
        where try await Subcategory.query(on: db).filter(\.$code == code).count() > 0 {
            rules.append(RoutingRule(subcategoryCode: code, organisationID: ids["ngo"]!))
        }
        for chunk in rules.map({ RoutingRuleRow($0, createdBy: nil) }).chunked(by: 100) {
            try await chunk.create(on: db)
        }
    }

    private static func insert(on db: any Database, passwordHash: String) async throws {
        let territories = Dictionary(uniqueKeysWithValues: try await Territory.query(on: db).all().map { ($0.code, $0) })
        let spheres = Dictionary(uniqueKeysWithValues: try await Sphere.query(on: db).all().map { ($0.code, $0) })
        var ids: [String: UUID] = [:]
        for item in organisations {
            let organisation = Organisation(
                name: item.name, shortName: item.shortName, kind: item.kind, parentID: item.parent.flatMap { ids[$0] })
            organisation.email = item.email
            organisation.phone = item.phone.flatMap { PhoneNumber($0)?.value } ?? item.phone
            organisation.address = item.address
            try await organisation.create(on: db)
            ids[item.key] = try organisation.requireID()
            try await organisation.$territories.attach(item.territories.compactMap { territories[$0] }, on: db)
            try await organisation.$spheres.attach(item.spheres.compactMap { spheres[$0.rawValue] }, on: db)
        }
        try await insertRoutingRules(on: db, organisations: ids, territories: territories)
        let now = Date()
        for account in accounts {
            let user = User(
                name: PersonName(surname: account.surname, name: account.name, patronymic: account.patronymic),
                email: account.email, phone: account.phone, passwordHash: passwordHash)
            user.emailConfirmedAt = now
            try await user.create(on: db)
            try await RoleGrant(
                userID: try user.requireID(),
                grant: Grant(role: account.role, organisationID: account.organisation.flatMap { ids[$0] }), grantedBy: nil
            ).create(on: db)
        }
    }
}
