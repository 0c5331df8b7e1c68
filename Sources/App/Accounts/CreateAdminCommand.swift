import Domain
import Fluent
import Vapor

/// `consumerdesk create-admin --email … --surname … --name …`: the first platform administrator of a
/// real installation. The password comes from `ADMIN_PASSWORD` or is asked for on the terminal.
struct CreateAdminCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "email", help: "Email address used to sign in") var email: String?
        @Option(name: "surname", help: "Surname") var surname: String?
        @Option(name: "name", help: "Given name") var name: String?
        @Option(name: "patronymic", help: "Patronymic (optional)") var patronymic: String?
    }

    var help: String { "Creates a platform-wide administrator account" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        var errors = FieldErrors()
        let name = PersonName.validate(
            surname: signature.surname, name: signature.name, patronymic: signature.patronymic, into: &errors)
        let email = signature.email.flatMap(EmailAddress.init)
        if email == nil { errors.add("email", .invalidEmail) }
        let password =
            Environment.get("ADMIN_PASSWORD") ?? context.console.ask("Password for the new administrator:", isSecure: true)
        for error in PasswordRules.check(password, login: [email?.value ?? ""]) { errors.add(error.field, error.code) }
        if !errors.errors.isEmpty {
            for error in errors.errors { context.console.error("\(error.field): \(Strings.en(error.code))") }
            throw ValidationFailure(errors.errors)
        }
        try await AccountService.ensureUnique(email: email, phone: nil, on: app.db)
        let hash = try await app.password.async.hash(password)
        let user = User(name: name!, email: email!.value, phone: nil, passwordHash: hash)
        user.emailConfirmedAt = Date()
        try await app.db.transaction { db in
            try await user.create(on: db)
            try await RoleGrant(userID: try user.requireID(), grant: Grant(role: .admin, organisationID: nil), grantedBy: nil)
                .create(on: db)
        }
        context.console.success("Administrator \(email!.value) created.")
    }
}

public func registerCommands(_ app: Application) {
    app.asyncCommands.use(CreateAdminCommand(), as: "create-admin")
    app.asyncCommands.use(ClassifierImportCommand(), as: "classifier-import")
    app.asyncCommands.use(ClassifierExportCommand(), as: "classifier-export")
    app.asyncCommands.use(DemoLoadCommand(), as: "demo-load")
    app.asyncCommands.use(StemCommand(), as: "stem")
    app.asyncCommands.use(ReportCommand(), as: "report")
    app.asyncCommands.use(StatisticsFoldCommand(), as: "statistics-fold")
}
