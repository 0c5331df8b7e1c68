import Vapor

/// Route groups: operations (no session), the API (bearer tokens, no cookies, so no CSRF), and the
/// HTML pages (session cookie, CSRF on every form).
func routes(_ app: Application) throws {
    try app.register(collection: OperationsController())

    let api = app.grouped("api", "v1").grouped(BearerAuthenticator())
    try api.register(collection: AuthAPIController())
    try api.register(collection: DirectoryAPIController())
    try api.register(collection: ClassifierAPIController())
    try api.register(collection: RoutingAPIController())
    try api.register(collection: AppealAPIController())
    DeskController().bootAPI(api)
    SearchController().bootAPI(api)
    PortalController().bootAPI(api)
    ClaimsController().bootAPI(api)
    BotController().bootAPI(api)
    try api.register(collection: CuratorController.API())

    let pages = app.grouped(SessionAuthenticator(), CSRFMiddleware(), FlashMiddleware())
    try pages.register(collection: HomeController())
    try pages.register(collection: SearchController())
    try pages.register(collection: PortalController())
    try pages.register(collection: EditorController())
    try pages.register(collection: AccessibilityController())
    try pages.register(collection: ClaimsController())
    try pages.register(collection: BotController())
    try pages.register(collection: AuthController())
    try pages.register(collection: AdminController())
    try pages.register(collection: ClassifierAdminController())
    try pages.register(collection: ClassifierItemController())
    try pages.register(collection: RoutingAdminController())
    try pages.register(collection: CalendarAdminController())
    try pages.register(collection: AppealPagesController())
    try pages.register(collection: ModerationPagesController())
    try pages.register(collection: DeskController())
    try pages.register(collection: TeamController())
    try pages.register(collection: RatingController())
    try pages.register(collection: CuratorController())
}
