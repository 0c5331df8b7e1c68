import Domain
import Foundation

/// The strings table: every Russian text shown by Swift code (templates hold the rest), plus the
/// English texts of the API. Keeping them here keeps Russian out of the logic.
enum Strings {
    static func ru(_ code: FieldErrorCode) -> String {
        switch code {
        case .required: "Заполните это поле."
        case .tooLong: "Слишком длинное значение."
        case .invalidEmail: "Проверьте адрес электронной почты: например, ivanov@mail.ru."
        case .invalidPhone: "Укажите российский номер телефона: например, +7 917 123-45-67."
        case .invalidName: "Используйте буквы, пробел, дефис или апостроф."
        case .passwordTooShort: "Пароль должен быть не короче \(PasswordRules.minimumLength) символов."
        case .passwordTooLong: "Пароль должен быть не длиннее \(PasswordRules.maximumLength) символов."
        case .passwordNeedsLetterAndDigit: "Пароль должен содержать хотя бы одну букву и одну цифру."
        case .passwordTooCommon: "Этот пароль слишком распространён, придумайте другой."
        case .passwordContainsLogin: "Пароль не должен содержать адрес почты или телефон."
        case .passwordMismatch: "Пароли не совпадают."
        case .consentRequired: "Нужно согласие на обработку персональных данных."
        case .emailTaken: "Этот адрес уже зарегистрирован. Войдите или восстановите пароль."
        case .phoneTaken: "Этот номер уже зарегистрирован."
        case .emailOrPhoneRequired: "Укажите адрес электронной почты или телефон."
        case .invalidValue: "Недопустимое значение."
        case .notFound: "Не найдено."
        case .cycle: "Организация не может входить сама в себя."
        case .taken: "Такое значение уже используется."
        case .dateInFuture: "Дата не может быть в будущем."
        case .retired: "Эта подкатегория больше не используется, выберите другую."
        case .fileTooLarge: "Файл больше 10 МБ."
        case .fileType: "Можно прикрепить только JPEG, PNG или PDF."
        case .tooManyFiles: "Не больше 5 файлов."
        case .idempotencyMismatch: "Повторный запрос отличается от первого."
        case .invalidINN: "ИНН должен состоять из 10 или 12 цифр с верной контрольной суммой."
        case .invalidParent: "Такая вышестоящая организация не подходит для этого вида организации."
        case .staleVersion: "Обращение уже изменил другой сотрудник. Показано актуальное состояние — проверьте и повторите действие."
        case .noContact: "У заявителя нет ни электронной почты, ни личного кабинета: свяжитесь с ним по телефону."
        case .dateNotAhead: "Укажите дату позже сегодняшней."
        case .beyondDeadline: "Дата позже срока ответа: откладывать можно только в пределах срока рассмотрения."
        case .notForOutcome: "Возвращённая сумма указывается, только если требование удовлетворено полностью или частично."
        case .endBeforeStart: "Конец периода раньше его начала."
        case .periodTooLong: "Период длиннее 5 лет: выберите период короче."
        case .outOfRange: "Значение вне допустимых пределов (продление — от 1 до 30 дней)."
        case .nobodyAvailable: "Нет свободного исполнителя: все отсутствуют или загружены до предела. Назначьте вручную."
        case .invalidDate: "Укажите дату полностью: день, месяц и год."
        case .invalidAmount: "Укажите сумму в рублях больше нуля и не больше 100 000 000, например 40 000 или 40 000,50."
        case .invalidOGRN: "ОГРН состоит из 13 цифр, ОГРНИП — из 15; проверьте номер, контрольная цифра не сходится."
        case .beforePurchase: "Эта дата не может быть раньше даты покупки или заключения договора."
        case .termExpired: "Срок, который закон даёт для этого требования, истёк."
        case .needsSignificantDefect: "Такое требование закон допускает только при существенном недостатке (или при нарушении сроков ремонта). Отметьте существенный недостаток или выберите ремонт."
        case .notYetOverdue: "Срок для продавца (исполнителя) ещё не истёк, неустойка пока не начисляется."
        case .repairTermTooLong: "Срок ремонта по закону — не более 45 дней."
        case .endsBeforeStarts: "Окончание должно быть позже начала."
        case .eventClosed: "Запись закрыта: мероприятие уже прошло или отменено."
        case .alreadySignedUp: "С этим адресом или телефоном на мероприятие уже записались."
        case .belowSignedUp: "Участников уже записано больше: вместимость не может быть меньше их числа."
        case .invalidLink: "Укажите ссылку, которая начинается с https:// или http://."
        case .invalidCount: "Укажите целое число не больше 100 000 (вместимость — не меньше 1)."
        case .eventNotHeld: "Число участников указывается после окончания мероприятия."
        case .invalidWeight: "Вес — число от 0 до 100."
        case .allWeightsZero: "Хотя бы один показатель должен иметь вес больше нуля."
        case .invalidPopulation: "Численность населения — целое число жителей (или оставьте поле пустым)."
        case .notYourOrganisation: "Среди организаторов должна быть ваша организация (или подчинённая ей)."
        case .eventHasSignUps: "На мероприятие уже записались: снять его с публикации нельзя. Если оно не состоится, отмените его — записавшимся придут письма."
        }
    }

    static func en(_ code: FieldErrorCode) -> String {
        switch code {
        case .required: "is required"
        case .tooLong: "is too long"
        case .invalidEmail: "is not a valid email address"
        case .invalidPhone: "is not a valid Russian phone number"
        case .invalidName: "may contain letters, spaces, hyphens and apostrophes only"
        case .passwordTooShort: "must be at least \(PasswordRules.minimumLength) characters"
        case .passwordTooLong: "must be at most \(PasswordRules.maximumLength) characters"
        case .passwordNeedsLetterAndDigit: "must contain a letter and a digit"
        case .passwordTooCommon: "is too common"
        case .passwordContainsLogin: "must not contain the email or phone"
        case .passwordMismatch: "does not match the password"
        case .consentRequired: "consent to personal data processing is required"
        case .emailTaken: "is already registered"
        case .phoneTaken: "is already registered"
        case .emailOrPhoneRequired: "an email or a phone is required"
        case .invalidValue: "is not an allowed value"
        case .notFound: "does not exist"
        case .cycle: "would make the organisation its own ancestor"
        case .taken: "is already in use"
        case .dateInFuture: "must not be in the future"
        case .retired: "is retired; choose another"
        case .fileTooLarge: "is larger than 10 MB"
        case .fileType: "must be a JPEG, PNG or PDF file"
        case .tooManyFiles: "at most 5 files"
        case .idempotencyMismatch: "the Idempotency-Key was used for a different request"
        case .invalidINN: "must be 10 or 12 digits with a valid checksum"
        case .invalidParent: "is not an allowed parent for this kind of organisation"
        case .staleVersion: "was changed by someone else meanwhile; reload and retry"
        case .noContact: "the applicant has neither an email nor an account to receive it"
        case .dateNotAhead: "must be after today"
        case .beyondDeadline: "is after the answer deadline"
        case .notForOutcome: "money is returned only when the outcome is satisfied or partly"
        case .endBeforeStart: "the period ends before it starts"
        case .periodTooLong: "the period is longer than 5 years"
        case .outOfRange: "is out of the allowed range (1–30 days for an extension)"
        case .nobodyAvailable: "no present executor with free capacity; assign by hand"
        case .invalidDate: "is not a valid date"
        case .invalidAmount: "must be a sum of roubles above zero and at most 100 000 000"
        case .invalidOGRN: "must be 13 (OGRN) or 15 (OGRNIP) digits with a valid check digit"
        case .beforePurchase: "must not be before the purchase or contract date"
        case .termExpired: "the legal term for this demand has expired"
        case .needsSignificantDefect: "this demand requires a significant defect"
        case .notYetOverdue: "the seller's term has not ended yet; no penalty is due"
        case .repairTermTooLong: "a repair term may be at most 45 days"
        case .endsBeforeStarts: "must be after the start"
        case .eventClosed: "the event is over or cancelled; sign-up is closed"
        case .alreadySignedUp: "this email or phone is already signed up for the event"
        case .belowSignedUp: "is below the number of people already signed up"
        case .invalidLink: "must be an http(s) link"
        case .invalidCount: "must be a whole number up to 100 000 (a capacity at least 1)"
        case .eventNotHeld: "attendees are counted after the event ends"
        case .invalidWeight: "must be a number from 0 to 100"
        case .allWeightsZero: "at least one weight must be above zero"
        case .invalidPopulation: "must be a whole number of residents"
        case .notYourOrganisation: "one of the organisers must be within your organisation"
        case .eventHasSignUps: "people have signed up; cancel the event instead of unpublishing it"
        }
    }

    static func title(_ role: Role) -> String {
        switch role {
        case .citizen: "Гражданин"
        case .operator: "Консультант / оператор"
        case .moderator: "Модератор"
        case .coordinator: "Координатор"
        case .executor: "Исполнитель"
        case .manager: "Руководитель"
        case .curator: "Куратор"
        case .editor: "Редактор"
        case .admin: "Администратор"
        }
    }

    static func title(_ kind: OrganisationKind) -> String {
        switch kind {
        case .regionalOffice: "Управление Роспотребнадзора"
        case .territorialDepartment: "Территориальный отдел"
        case .regionalGovernment: "Органы власти субъекта"
        case .municipality: "Администрация муниципального образования"
        case .partner: "Партнёрская организация"
        }
    }

    static func title(_ kind: TerritoryKind) -> String {
        switch kind {
        case .region: "субъект РФ"
        case .urbanOkrug: "городской округ"
        case .municipalDistrict: "муниципальный район"
        case .settlement: "поселение"
        }
    }

    /// Texts of the error page by HTTP status.
    static func errorPage(_ status: UInt) -> (title: String, message: String) {
        switch status {
        case 400: ("Некорректный запрос", "Проверьте введённые данные и попробуйте ещё раз.")
        case 401: ("Требуется вход", "Войдите, чтобы продолжить.")
        case 403: ("Доступ запрещён", "У вас нет прав для этого действия. Если это ошибка, обратитесь к администратору вашей организации.")
        case 404: ("Страница не найдена", "Возможно, ссылка устарела или в ней опечатка.")
        case 413: ("Слишком большой запрос", "Уменьшите размер данных и попробуйте ещё раз.")
        case 422: ("Данные не приняты", "Проверьте введённые данные.")
        case 429: ("Слишком много попыток", "Подождите немного и попробуйте снова.")
        default: ("Что-то пошло не так", "Мы уже знаем об ошибке. Попробуйте обновить страницу через минуту.")
        }
    }

    static func ru(_ code: ClassifierIssue.Code) -> String {
        switch code {
        case .malformedFile: "Файл не читается как таблица или JSON"
        case .missingColumn: "Нет обязательного столбца или поля"
        case .badCode: "Код может содержать только латинские строчные буквы, цифры и дефис"
        case .duplicateCode: "Такой код уже встречается в файле"
        case .emptyName: "Пустое наименование"
        case .nameTooLong: "Наименование длиннее 200 символов"
        case .unknownSphere: "Неизвестная сфера"
        case .unknownKind: "Вид должен быть appeal (обращение) или message (сообщение)"
        case .unknownDayType: "Тип дней должен быть calendar или working"
        case .termOutOfRange: "Срок должен быть от 1 до 60 дней"
        case .formalAppealTooLong: "Срок ответа на обращение по 59-ФЗ — не более 30 дней"
        case .fastTrackTooLong: "Срок фаст-трека — не более 5 дней"
        case .badQuestion: "Ошибка в дополнительном вопросе"
        case .inconsistentCategory: "У категории разные наименования или сферы в разных строках"
        case .emptyClassifier: "В файле нет ни одной категории"
        case .emptyCategory: "В категории нет подкатегорий"
        case .badNumber: "Ожидалось целое число"
        case .badBoolean: "Ожидалось true или false"
        case .staleVersion: "Подкатегорию уже изменил другой администратор: откройте страницу заново"
        }
    }

    static func en(_ code: ClassifierIssue.Code) -> String {
        switch code {
        case .malformedFile: "the file cannot be read"
        case .missingColumn: "a required column or field is missing"
        case .badCode: "codes may contain lowercase latin letters, digits and hyphens only"
        case .duplicateCode: "the code occurs more than once"
        case .emptyName: "the name is empty"
        case .nameTooLong: "the name is longer than 200 characters"
        case .unknownSphere: "unknown sphere"
        case .unknownKind: "kind must be appeal or message"
        case .unknownDayType: "day type must be calendar or working"
        case .termOutOfRange: "terms must be 1 to 60 days"
        case .formalAppealTooLong: "a 59-FZ appeal is answered within 30 days at most"
        case .fastTrackTooLong: "a fast-track term is 5 days at most"
        case .badQuestion: "an extra question is malformed"
        case .inconsistentCategory: "the category has different names or spheres on different rows"
        case .emptyClassifier: "the file has no categories"
        case .emptyCategory: "the category has no subcategories"
        case .badNumber: "a whole number was expected"
        case .badBoolean: "true or false was expected"
        case .staleVersion: "was changed by someone else meanwhile; reload it"
        }
    }

    static func title(_ kind: AppealKind) -> String {
        switch kind {
        case .appeal: "Обращение (59-ФЗ)"
        case .message: "Сообщение"
        }
    }

    /// Where a classifier change came from, as the history shows it.
    static func classifierSource(_ source: String) -> String {
        switch source {
        case "form": "форма"
        case "shipped": "поставка"
        case "import:csv": "файл CSV"
        case "import:json": "файл JSON"
        default: source
        }
    }

    static func title(_ action: ClassifierChange.Action) -> String {
        switch action {
        case .created: "добавлено"
        case .updated: "изменено"
        case .retired: "выведено из употребления"
        case .restored: "возвращено"
        }
    }

    /// «30 календарных дней», «3 рабочих дня».
    static func term(_ days: Int, _ type: DayType) -> String {
        let adjective = type == .calendar ? "календарн" : "рабоч"
        let (dayWord, ending): (String, String) =
            switch plural(days) {
            case .one: ("день", type == .calendar ? "ый" : "ий")
            case .few: ("дня", type == .calendar ? "ых" : "их")
            case .many: ("дней", type == .calendar ? "ых" : "их")
            }
        return "\(days) \(adjective)\(ending) \(dayWord)"
    }

    enum PluralForm { case one, few, many }

    /// Russian plural form of a number: 1 день, 2 дня, 5 дней, 21 день, 11 дней.
    static func plural(_ number: Int) -> PluralForm {
        let n = abs(number) % 100
        if (11...14).contains(n) { return .many }
        switch n % 10 {
        case 1: return .one
        case 2, 3, 4: return .few
        default: return .many
        }
    }

    static func appealRegisteredSubject(_ number: String) -> String { "Обращение № \(number) зарегистрировано" }

    static func appealRegisteredBody(name: String, number: String, subcategory: String, due: String, link: String) -> String {
        """
        Здравствуйте, \(name)!

        Ваше обращение зарегистрировано.

        Номер: \(number)
        Тема: \(subcategory)
        Срок ответа: до \(due)

        Следить за обращением можно в личном кабинете:
        \(link)

        Назовите номер обращения, если будете звонить на горячую линию.

        —
        ConsumerDesk
        """
    }

    static func title(_ status: AppealStatus) -> String {
        switch status {
        case .moderation: "На модерации"
        case .rejected: "Отклонено"
        case .coordination: "Направлено исполнителю"
        case .inWork: "В работе"
        case .postponed: "Отложено"
        case .answerReview: "Ответ на согласовании"
        case .answered: "Дан ответ"
        case .closed: "Закрыто"
        }
    }

    static func title(_ action: AppealEvent.Action) -> String {
        switch action {
        case .submitted: "Обращение зарегистрировано"
        case .accepted: "Прошло модерацию и направлено исполнителю"
        case .rejected: "Отклонено модератором"
        case .recategorised: "Модератор уточнил тему обращения"
        case .reassigned: "Модератор сменил организацию-исполнителя"
        case .markedDuplicate: "Признано повтором ранее поданного обращения"
        case .assigned: "Назначен исполнитель"
        case .executorChanged: "Сменён исполнитель"
        case .redirected: "Перенаправлено в другую организацию"
        case .sentBack: "Возвращено в организацию, направившую обращение"
        case .taken: "Исполнитель взял в работу"
        case .infoRequested: "Заявителю направлен запрос дополнительной информации"
        case .postponed: "Отложено"
        case .resumed: "Возобновлено"
        case .extended: "Срок рассмотрения продлён"
        case .answerSubmitted: "Ответ подготовлен и направлен на согласование"
        case .approved: "Ответ утверждён и направлен заявителю"
        case .answerReturned: "Ответ возвращён на доработку"
        case .curatorReturned: "Куратор вернул обращение на доработку"
        case .rated: "Заявитель оценил ответ"
        case .ratingCommented: "Заявитель прокомментировал оценку"
        case .citizenReplied: "Заявитель представил дополнительную информацию"
        }
    }

    static func title(_ folder: WorkspaceFolder) -> String {
        switch folder {
        case .new: "Новые"
        case .answerPrepared: "Подготовлен ответ"
        case .inWork: "В работе"
        case .returnedWithin: "Возвращены в рамках организации"
        case .returnedFrom: "Возвращены из организации"
        case .postponed: "Отложенные"
        case .done: "Отработанные"
        }
    }

    static func title(_ state: AppealAnswer.State) -> String {
        switch state {
        case .draft: "Черновик"
        case .submitted: "На согласовании"
        case .approved: "Утверждён и направлен заявителю"
        case .returned: "Возвращён на доработку"
        }
    }

    static func title(_ stage: AppealStage) -> String {
        switch stage {
        case .afterModeration: "После модерации"
        case .fromHigher: "От вышестоящей организации"
        case .fromLower: "От нижестоящей организации"
        case .fromNonSubordinate: "От неподведомственной организации"
        }
    }

    static func title(_ outcome: AnswerOutcome) -> String {
        switch outcome {
        case .satisfied: "Удовлетворено"
        case .partly: "Удовлетворено частично"
        case .notSatisfied: "Не удовлетворено"
        case .explained: "Разъяснено"
        }
    }

    static func title(_ help: HelpKind) -> String {
        switch help {
        case .oralConsultation: "Устная консультация"
        case .writtenConsultation: "Письменная консультация"
        case .claimHelp: "Помощь в составлении претензии"
        case .lawsuit: "Подготовка искового заявления"
        case .court: "Участие в судебном заседании"
        case .redirect: "Перенаправление в другой орган"
        }
    }

    static func title(_ result: ReportResult) -> String {
        switch result {
        case .satisfied: "Удовлетворено добровольно"
        case .partly: "Удовлетворено частично"
        case .notSatisfied: "Не удовлетворено"
        case .explained: "Разъяснено"
        case .redirected: "Перенаправлено"
        case .inWork: "В работе"
        case .rejected: "Без ответа по существу"
        }
    }

    static func title(_ kind: ContactKind) -> String {
        switch kind {
        case .appeal: "Обращения"
        case .hotline: "Горячая линия"
        case .chat: "Онлайн-консультации"
        case .reception: "Личный приём"
        }
    }

    static func title(_ transition: AppealTransition) -> String {
        switch transition {
        case .assign: "Назначить исполнителя"
        case .reassign: "Сменить исполнителя"
        case .redirect: "Перенаправить"
        case .sendBack: "Вернуть направившей организации"
        case .take: "Взять в работу"
        case .requestInfo: "Запросить информацию у заявителя"
        case .postpone: "Отложить"
        case .resume: "Возобновить"
        case .extend: "Продлить срок"
        case .submitAnswer: "Направить ответ на согласование"
        case .approve: "Утвердить ответ"
        case .returnAnswer: "Вернуть на доработку"
        case .curatorReturn: "Вернуть на доработку"
        case .rate: "Оценить ответ"
        }
    }

    /// The refusal as the person reads it on the card.
    static func russian(_ refusal: LifecycleRefusal) -> String {
        switch refusal {
        case .wrongState(_, let status):
            "Обращение уже в статусе «\(title(status))» — это действие сейчас невозможно. Показано актуальное состояние."
        case .notPermitted: "Ваша роль не позволяет выполнить это действие."
        case .notAssignee: "Обращение назначено другому исполнителю."
        case .alreadyExtended: "Срок рассмотрения уже продлевался: продлить его можно только один раз."
        case .notExtendable: "Продлевать срок можно только для обращений по 59-ФЗ."
        case .redirectTooLate: "Семь дней на перенаправление истекли (ст. 8 ч. 3 59-ФЗ): ответьте по существу или разъясните."
        case .sameOrganisation: "Обращение уже находится в этой организации."
        }
    }

    /// «29 дней 3 часа / до 26.06.2026».
    static func term(from now: Date, to due: Date) -> String {
        let last = due.addingTimeInterval(-1)
        let parts = regionCalendar.dateComponents([.year, .month, .day], from: last)
        return countdown(from: now, to: due) + String(format: " / до %02d.%02d.%04d", parts.day ?? 0, parts.month ?? 0, parts.year ?? 0)
    }

    static func processingSubject(_ number: String, _ transition: AppealTransition) -> String {
        switch transition {
        case .redirect: "Обращение № \(number) перенаправлено"
        case .requestInfo: "По обращению № \(number) нужна дополнительная информация"
        case .extend: "Срок рассмотрения обращения № \(number) продлён"
        case .approve: "Ответ на обращение № \(number)"
        case .curatorReturn: "Обращение № \(number) рассматривается повторно"
        default: "Обращение № \(number)"
        }
    }

    static func processingBody(
        name: String, number: String, transition: AppealTransition, organisation: String?, comment: String?,
        due: String?, answer: String?, outcome: AnswerOutcome?, ratingLinks: [String], link: String
    ) -> String {
        var lines = ["Здравствуйте, \(name)!", ""]
        switch transition {
        case .redirect:
            lines.append("Ваше обращение № \(number) перенаправлено по компетенции"
                + (organisation.map { " в организацию «\($0)»" } ?? "") + " (ст. 8 ч. 3 Федерального закона № 59-ФЗ).")
        case .requestInfo:
            lines.append("Для рассмотрения обращения № \(number) исполнителю нужна дополнительная информация:")
            if let comment { lines += ["", comment] }
            lines += ["", "Ответить можно в личном кабинете. Срок рассмотрения при этом не меняется."]
        case .extend:
            lines.append("Срок рассмотрения обращения № \(number) продлён" + (due.map { " до \($0)" } ?? "")
                + " (ст. 12 ч. 2 Федерального закона № 59-ФЗ).")
            if let comment { lines += ["", "Причина: \(comment)"] }
        case .approve:
            lines.append("Дан ответ на ваше обращение № \(number)" + (organisation.map { " (организация «\($0)»)" } ?? "") + ".")
            if let outcome { lines.append("Результат: \(title(outcome)).") }
            if let answer { lines += ["", answer] }
            if !ratingLinks.isEmpty {
                lines += ["", "Оцените, пожалуйста, ответ — одним нажатием, без входа в личный кабинет:"]
                for (index, url) in ratingLinks.enumerated() { lines.append("\(index + 1) — \(url)") }
                lines.append("(1 — очень плохо, 5 — отлично)")
            }
        case .curatorReturn:
            lines.append("Ответ на ваше обращение № \(number) проверен куратором и направлен на повторное рассмотрение.")
        default:
            lines.append("Состояние обращения № \(number) изменилось.")
        }
        lines += ["", "Подробности — в личном кабинете:", link, "", "—", "ConsumerDesk"]
        return lines.joined(separator: "\n")
    }

    /// The channel with where it came from: «Виджет · https://admin.volzhsky.ru», «Open311 · Мой город».
    static func channel(_ channel: IntakeChannel, source: String?) -> String {
        guard let source, !source.isEmpty else { return title(channel) }
        return "\(title(channel)) · \(source)"
    }

    static func title(_ channel: IntakeChannel) -> String {
        switch channel {
        case .portal: "Портал"
        case .widget: "Виджет"
        case .api: "Приложение"
        case .hotline: "Телефон"
        case .reception: "Личный приём"
        case .chat: "Чат"
        case .open311: "Open311"
        case .import: "Импорт"
        }
    }

    /// «1 день 3 часа», «5 часов», or «просрочено на 2 дня».
    static func countdown(from now: Date, to due: Date) -> String {
        let seconds = Int(due.timeIntervalSince(now))
        let total = abs(seconds) / 3600
        let dayCount = total / 24
        let hourCount = total % 24
        func days(_ n: Int) -> String {
            switch plural(n) { case .one: "\(n) день"; case .few: "\(n) дня"; case .many: "\(n) дней" }
        }
        func hours(_ n: Int) -> String {
            switch plural(n) { case .one: "\(n) час"; case .few: "\(n) часа"; case .many: "\(n) часов" }
        }
        let text = dayCount > 0 ? "\(days(dayCount)) \(hours(hourCount))" : hours(hourCount)
        return seconds < 0 ? "просрочено на \(text)" : text
    }

    /// `26.06.2026 14:05` in the region's time zone.
    static func dateTime(_ date: Date) -> String {
        let parts = regionCalendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(
            format: "%02d.%02d.%04d %02d:%02d", parts.day ?? 0, parts.month ?? 0, parts.year ?? 0, parts.hour ?? 0,
            parts.minute ?? 0)
    }

    /// Pages format many dates; a calendar value is cheap and safe to share, a DateFormatter is neither.
    private static let regionCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        // The region's zone, as AppConfig reads it (REGION_TIME_ZONE, default Europe/Volgograd).
        calendar.timeZone = ProcessInfo.processInfo.environment["REGION_TIME_ZONE"].flatMap(TimeZone.init(identifier:))
            ?? TimeZone(identifier: "Europe/Volgograd")!
        return calendar
    }()

    /// «340 КБ», «2,4 МБ».
    static func fileSize(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) Б" }
        if bytes < 1024 * 1024 { return "\((bytes + 1023) / 1024) КБ" }
        let tenths = (bytes * 10 + 1024 * 1024 / 2) / (1024 * 1024)
        return "\(tenths / 10),\(tenths % 10) МБ"
    }

    static let monthNames = ["Январь", "Февраль", "Март", "Апрель", "Май", "Июнь", "Июль", "Август", "Сентябрь", "Октябрь", "Ноябрь", "Декабрь"]

    /// «1 декабря»: the month after a day number.
    static func monthGenitive(_ month: Int) -> String {
        let names = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"]
        return names[max(1, min(12, month)) - 1]
    }

    /// `26.06.2026` in the region's time zone.
    static func date(_ date: Date) -> String {
        let parts = regionCalendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%02d.%02d.%04d", parts.day ?? 0, parts.month ?? 0, parts.year ?? 0)
    }

    /// The citizen-facing explanation of each ground (59-ФЗ ст. 11), domain.md §1.
    static func title(_ reason: RejectReason) -> String {
        switch reason {
        case .noNameOrAddress: "не указаны фамилия или адрес для ответа (ч. 1 ст. 11 59-ФЗ)"
        case .courtDecision: "обжалуется судебное решение (ч. 2 ст. 11 59-ФЗ); его можно обжаловать в вышестоящем суде в установленном процессуальным законом порядке"
        case .abusive: "обращение содержит нецензурные либо оскорбительные выражения или угрозы (ч. 3 ст. 11 59-ФЗ)"
        case .unreadable: "текст обращения не поддаётся прочтению (ч. 4 ст. 11 59-ФЗ)"
        case .noSubstance: "из текста нельзя понять суть вопроса (ч. 4.1 ст. 11 59-ФЗ)"
        case .repeated: "на этот вопрос уже давались ответы по существу, новых доводов нет; переписка прекращена (ч. 5 ст. 11 59-ФЗ)"
        case .answerPublished: "ответ на вопрос опубликован на официальном сайте (ч. 5.1 ст. 11 59-ФЗ)"
        case .secret: "ответ невозможен без разглашения охраняемой законом тайны (ч. 6 ст. 11 59-ФЗ)"
        case .duplicate: "это повтор обращения, которое уже рассматривается"
        }
    }

    static func moderationSubject(_ number: String, accepted: Bool) -> String {
        accepted ? "Обращение № \(number) принято к рассмотрению" : "Обращение № \(number) не будет рассмотрено по существу"
    }

    static func moderationBody(
        name: String, number: String, accepted: Bool, organisation: String?, reason: RejectReason?, comment: String?,
        earlier: String?, link: String
    ) -> String {
        var lines = ["Здравствуйте, \(name)!", ""]
        if accepted {
            lines.append("Ваше обращение № \(number) прошло проверку и направлено на рассмотрение"
                + (organisation.map { " в организацию «\($0)»." } ?? "."))
        } else {
            lines.append("Ваше обращение № \(number) не будет рассмотрено по существу: \(reason.map(title) ?? "").")
            if let earlier { lines.append("Ваш вопрос рассматривается по обращению № \(earlier).") }
        }
        if let comment, !comment.isEmpty { lines += ["", "Комментарий модератора: \(comment)"] }
        lines += ["", "Подробности — в личном кабинете:", link, "", "—", "ConsumerDesk"]
        return lines.joined(separator: "\n")
    }

    static let invalidCredentials = "Неверный логин или пароль."
    static func throttled(seconds: Int) -> String {
        let minutes = max(1, (seconds + 59) / 60)
        return "Слишком много неудачных попыток входа. Повторите через \(minutes) мин."
    }
    static func rateLimited(seconds: Int) -> String {
        "Слишком много запросов подряд. Повторите через \(max(1, seconds)) с."
    }
    static let emailNotConfirmed =
        "Адрес электронной почты ещё не подтверждён. Мы отправили письмо со ссылкой ещё раз — проверьте почту."
    static let accountBlocked = "Учётная запись заблокирована. Обратитесь к администратору."
    static let csrfFailed = "Форма устарела. Обновите страницу и отправьте её ещё раз."
    static let registered =
        "Мы отправили письмо со ссылкой для подтверждения адреса. Откройте его, чтобы завершить регистрацию."
    static let registeredByPhone = "Регистрация завершена. Теперь вы можете войти по номеру телефона."
    static let emailConfirmed = "Адрес электронной почты подтверждён. Теперь вы можете войти."
    static let confirmationInvalid = "Ссылка недействительна или устарела. Войдите — мы отправим новую."
    static let signedOut = "Вы вышли из системы."
    static let saved = "Изменения сохранены."

    static let confirmationSubject = "Подтверждение регистрации в ConsumerDesk"
    static func confirmationBody(name: String, link: String) -> String {
        """
        Здравствуйте, \(name)!

        Вы зарегистрировались на портале защиты прав потребителей ConsumerDesk.
        Чтобы подтвердить адрес электронной почты, откройте ссылку:

        \(link)

        Ссылка действует 48 часов. Если вы не регистрировались, просто удалите это письмо.

        —
        ConsumerDesk
        """
    }
    static let staffWelcomeSubject = "Вам создана учётная запись в ConsumerDesk"
    static func staffWelcomeBody(name: String, organisation: String, link: String) -> String {
        """
        Здравствуйте, \(name)!

        Администратор создал для вас учётную запись сотрудника организации «\(organisation)» в ConsumerDesk.
        Подтвердите адрес электронной почты по ссылке:

        \(link)

        Пароль вам сообщит администратор; смените его после первого входа.

        —
        ConsumerDesk
        """
    }
}
