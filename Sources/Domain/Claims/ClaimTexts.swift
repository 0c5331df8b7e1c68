/// The Russian texts of claims: template titles, form labels, the articles cited, the document's sentences
/// and the explanations of refusals. One table, so whoever checks the legal wording reads one file, and
/// the Swift elsewhere carries no Russian.
///
/// The document avoids verbs in the past tense of the first person («я приобрёл / приобрела»): passive and
/// impersonal forms read the same whoever signs.
enum ClaimTexts {
    static let law = "Закона РФ от 07.02.1992 № 2300-1 «О защите прав потребителей»"

    // MARK: Templates

    static func title(_ type: ClaimType) -> String {
        switch type {
        case .defectiveRefund: "Возврат денег за товар с недостатком"
        case .defectiveReplacement: "Замена товара с недостатком"
        case .defectiveRepair: "Ремонт товара или возмещение расходов на ремонт"
        case .return14Days: "Возврат товара надлежащего качества (14 дней)"
        case .serviceDefect: "Недостатки работы или услуги"
        case .distanceRefund: "Отказ от товара, купленного дистанционно"
        case .penaltyDelay: "Неустойка за просрочку"
        }
    }

    static func summary(_ type: ClaimType) -> String {
        switch type {
        case .defectiveRefund:
            "Отказ от договора и возврат денег за товар ненадлежащего качества в течение 10 дней (ст. 18, 22)."
        case .defectiveReplacement:
            "Замена товара ненадлежащего качества на товар той же марки (модели) в течение 7 дней (ст. 18, 21)."
        case .defectiveRepair:
            "Бесплатный ремонт товара (не более 45 дней) или возмещение расходов на ремонт (ст. 18, 20, 22)."
        case .return14Days:
            "Обмен или возврат товара, который не подошёл, в течение 14 дней, не считая дня покупки (ст. 25)."
        case .serviceDefect:
            "Устранение недостатков, возмещение расходов или возврат денег за некачественную работу или услугу (ст. 29, 31)."
        case .distanceRefund:
            "Возврат товара, купленного через интернет или по каталогу: 7 дней после получения, 3 месяца без письменной информации о возврате (ст. 26.1)."
        case .penaltyDelay:
            "Неустойка за нарушение сроков: товар — 1 % в день (ст. 23), предоплаченный товар — 0,5 % (ст. 23.1), работы и услуги — 3 % (ст. 28)."
        }
    }

    static func termNote(_ type: ClaimType) -> String {
        switch type {
        case .defectiveRefund:
            "Продавец должен вернуть деньги в течение 10 дней со дня предъявления требования (ст. 22)."
        case .defectiveReplacement:
            "Продавец должен заменить товар в течение 7 дней; если нужна дополнительная проверка качества — в течение 20 дней; если товара для замены нет — в течение месяца (п. 1 ст. 21)."
        case .defectiveRepair:
            "Недостатки устраняются незамедлительно; срок, согласованный письменно, — не более 45 дней (п. 1 ст. 20). Аналогичный товар на время ремонта товара длительного пользования предоставляется в течение 3 дней по требованию (п. 2 ст. 20). Расходы на ремонт возмещаются в течение 10 дней (ст. 22)."
        case .return14Days:
            "Деньги возвращаются в течение 3 дней со дня возврата товара (ст. 25)."
        case .serviceDefect:
            "Уменьшение цены, возмещение расходов и возврат денег — в течение 10 дней со дня предъявления требования (ст. 31); недостатки устраняются в разумный срок, назначенный потребителем (ст. 30)."
        case .distanceRefund:
            "Продавец возвращает деньги не позднее 10 дней со дня предъявления требования (п. 4 ст. 26.1)."
        case .penaltyDelay:
            "Неустойка начисляется со дня, следующего за последним днём срока, по день удовлетворения требования. Срок её выплаты законом прямо не установлен; в претензии указывается 10 дней, как для денежных требований по ст. 22."
        }
    }

    static func subtitle(_ type: ClaimType, demand: ClaimDemand, base: PenaltyBase?) -> String {
        switch type {
        case .defectiveRefund: "о возврате уплаченной за товар суммы в связи с недостатком товара"
        case .defectiveReplacement: "о замене товара ненадлежащего качества"
        case .defectiveRepair:
            demand == .repairCosts
                ? "о возмещении расходов на исправление недостатков товара"
                : "о безвозмездном устранении недостатков товара"
        case .return14Days: "об обмене или возврате товара надлежащего качества"
        case .serviceDefect: "в связи с недостатками выполненной работы (оказанной услуги)"
        case .distanceRefund: "об отказе от товара, приобретённого дистанционным способом"
        case .penaltyDelay:
            switch base {
            case .prepayment: "о нарушении срока передачи предварительно оплаченного товара и выплате неустойки"
            case .service where demand == .serviceTerm:
                "о нарушении сроков выполнения работы (оказания услуги) и выплате неустойки"
            default: "о нарушении сроков удовлетворения требования потребителя и выплате неустойки"
            }
        }
    }

    // MARK: Form

    static func label(_ field: ClaimField, _ type: ClaimType) -> String {
        let service = type == .serviceDefect
        let party = service ? "исполнителя" : type == .penaltyDelay ? "продавца (исполнителя)" : "продавца"
        switch field {
        case .consumerName: return "Ваши фамилия, имя и отчество"
        case .consumerAddress: return "Ваш почтовый адрес"
        case .consumerPhone: return "Телефон"
        case .consumerEmail: return "Электронная почта"
        case .sellerName:
            return service
                ? "Исполнитель (организация или ИП)"
                : type == .penaltyDelay
                    ? "Продавец или исполнитель (организация или ИП)" : "Продавец (организация или ИП)"
        case .sellerINN: return "ИНН \(party)"
        case .sellerOGRN: return "ОГРН или ОГРНИП \(party)"
        case .sellerAddress: return "Адрес \(party)"
        case .item:
            return service
                ? "Работа или услуга"
                : type == .penaltyDelay ? "Товар, работа или услуга" : "Товар (наименование, модель)"
        case .purchaseDate:
            switch type {
            case .serviceDefect: return "Дата заключения договора"
            case .distanceRefund: return "Дата заказа и оплаты"
            case .penaltyDelay: return "Дата покупки, оплаты или заключения договора"
            default: return "Дата покупки"
            }
        case .handoverDate:
            switch type {
            case .serviceDefect: return "Дата принятия работы (услуги)"
            case .distanceRefund: return "Дата получения товара (пусто, если товар ещё не получен)"
            default: return "Дата передачи товара, если позже покупки (доставка)"
            }
        case .price:
            switch type {
            case .serviceDefect: return "Цена работы (услуги), ₽"
            case .penaltyDelay: return "Цена товара, сумма предоплаты или цена работы (услуги), ₽"
            default: return "Цена товара, ₽"
            }
        case .receipt: return "Документ об оплате (например, кассовый чек № 123 от 01.02.2026)"
        case .warrantyMonths: return service ? "Гарантийный срок на работу, месяцев" : "Гарантийный срок, месяцев"
        case .defect: return service ? "Какие недостатки у работы (услуги)" : "Какой недостаток у товара"
        case .defectFoundDate: return "Когда обнаружен недостаток"
        case .technicallyComplex:
            return
                "Товар технически сложный (смартфон, компьютер, телевизор, холодильник, стиральная машина, автомобиль и др.)"
        case .significantDefect: return "Недостаток существенный"
        case .returnNoticeGiven:
            return "При доставке мне вручили письменную информацию о порядке и сроках возврата товара"
        case .remedy: return "Что вы требуете"
        case .agreedTerm:
            switch type {
            case .defectiveRepair: return "Срок ремонта, дней (не более 45)"
            case .serviceDefect: return "Срок для устранения недостатков, дней"
            default: return "Срок по договору (доставки, выполнения работы) или срок ремонта, дней"
            }
        case .repairCost: return "Сколько стоило исправление недостатков, ₽"
        case .substituteWanted: return "Потребовать на время ремонта аналогичный товар (в течение 3 дней)"
        case .penaltyBase: return "За что неустойка"
        case .demandKind: return "Какое требование не выполнено"
        case .demandDate:
            return type == .penaltyDelay
                ? "Дата, когда требование предъявлено \(party)" : "Дата прежнего требования (если уже обращались)"
        case .facts: return "Что произошло (обстоятельства)"
        case .bankDetails: return "Реквизиты для перечисления денег"
        case .claimDate: return "Дата претензии"
        }
    }

    static func hint(_ field: ClaimField) -> String? {
        switch field {
        case .price: "Например: 40 000 или 40 000,50."
        case .receipt: "Отсутствие чека — не основание для отказа (п. 5 ст. 18 Закона); покупку можно подтвердить и свидетельскими показаниями (ст. 493 ГК РФ)."
        case .warrantyMonths: "Если гарантии нет, требования можно предъявить в течение 2 лет со дня передачи товара."
        case .technicallyComplex: "Перечень утверждён постановлением Правительства РФ от 10.11.2011 № 924."
        case .significantDefect:
            "Неустранимый; устраняется несоразмерно дорого или долго; выявляется неоднократно или проявляется снова после устранения."
        case .returnNoticeGiven: "Если не вручили, отказаться от товара можно в течение 3 месяцев после получения."
        case .agreedTerm: "Календарные дни."
        case .demandDate: "С этой даты считается срок для продавца (исполнителя) и неустойка."
        case .claimDate: "Если не указана — сегодня."
        default: nil
        }
    }

    static func remedyLabel(_ demand: ClaimDemand, _ type: ClaimType) -> String {
        switch (type, demand) {
        case (.defectiveRepair, .repairCosts): "Возмещение расходов на ремонт (10 дней)"
        case (.defectiveRepair, _): "Бесплатный ремонт"
        case (_, .repairCosts): "Возмещение расходов на устранение недостатков (10 дней)"
        case (_, .refund): "Отказ от договора и возврат денег (10 дней)"
        default: "Бесплатное устранение недостатков"
        }
    }

    static func title(_ base: PenaltyBase) -> String {
        switch base {
        case .goods: "Товар: просрочка замены, ремонта или возврата денег — 1 % цены в день"
        case .prepayment: "Предоплаченный товар не передан в срок — 0,5 % предоплаты в день"
        case .service: "Работа или услуга: просрочка — 3 % цены в день"
        }
    }

    static func demandKindLabel(_ demand: ClaimDemand, _ base: PenaltyBase) -> String {
        switch (base, demand) {
        case (.goods, .replacement): "Заменить товар (7 дней)"
        case (.goods, .refund): "Вернуть деньги за товар (10 дней)"
        case (.goods, .priceReduction): "Уменьшить цену товара (10 дней)"
        case (.goods, .repair): "Отремонтировать товар (согласованный срок, не более 45 дней)"
        case (.goods, .repairCosts): "Возместить расходы на ремонт (10 дней)"
        case (.prepayment, .prepaymentRefund): "Вернуть предоплату (неустойка — с истечения срока передачи)"
        case (.prepayment, _): "Передать оплаченный товар (срок передачи по договору)"
        case (.service, .serviceTerm): "Выполнить работу (оказать услугу) в срок по договору"
        case (.service, .repair): "Устранить недостатки работы (назначенный срок)"
        case (.service, .repairCosts): "Возместить расходы на устранение недостатков (10 дней)"
        case (.service, .priceReduction): "Уменьшить цену работы (10 дней)"
        case (.service, _): "Вернуть деньги за работу (услугу) (10 дней)"
        case (.goods, _): "Передать товар"
        }
    }

    // MARK: Articles

    static func lawArticle(_ article: String, _ statement: String) -> ClaimCitation {
        ClaimCitation(article: article, reference: "\(article) \(law)", statement: statement)
    }

    // MARK: Document

    static let title = "ПРЕТЕНЗИЯ"
    static let demandHeading = "На основании изложенного ТРЕБУЮ:"
    static let legalBasisHeading = "Правовое обоснование:"
    static let attachmentsHeading = "Приложения:"
    static let signatureBlank = "____________"

    static func to(_ seller: String) -> String { "Кому: \(seller)" }
    static func from(_ consumer: String) -> String { "От: \(consumer)" }
    static func address(_ address: String) -> String { "Адрес: \(address)" }
    static func phone(_ phone: String) -> String { "Телефон: \(phone)" }
    static func email(_ email: String) -> String { "Эл. почта: \(email)" }
    static func identifiers(inn: String?, ogrn: String?) -> String? {
        let parts = [inn.map { "ИНН \($0)" }, ogrn.map { "\(OGRN.label($0)) \($0)" }].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    static func bought(_ date: String, item: String, price: String) -> String {
        "\(date) у продавца приобретён товар: \(sentenceBody(item)), стоимостью \(price)."
    }
    static func contracted(_ date: String, item: String, price: String) -> String {
        "\(date) с исполнителем заключён договор на выполнение работы (оказание услуги): \(sentenceBody(item)); цена — \(price)."
    }
    static func orderedAtDistance(_ date: String, item: String, price: String) -> String {
        "\(date) дистанционным способом (через интернет-магазин или по каталогу) оформлен и оплачен заказ: \(sentenceBody(item)), стоимостью \(price)."
    }
    static func prepaid(_ date: String, item: String, price: String) -> String {
        "\(date) по договору купли-продажи внесена предварительная оплата товара: \(sentenceBody(item)), в размере \(price)."
    }
    static func receipt(_ text: String) -> String { "Оплата подтверждается документом: \(sentenceBody(text))." }
    static func handedOver(_ date: String) -> String { "Товар передан \(date)." }
    static func accepted(_ date: String) -> String { "Работа (услуга) принята \(date)." }
    static let notHandedOver = "Товар ещё не передан."
    static func defectFound(_ date: String, _ defect: String, service: Bool) -> String {
        service
            ? "\(date) обнаружены недостатки выполненной работы (оказанной услуги): \(sentenceBody(defect))."
            : "\(date) в товаре обнаружен недостаток: \(sentenceBody(defect))."
    }
    static func withinWarranty(months: Int, service: Bool) -> String {
        "Недостаток обнаружен в течение гарантийного срока (\(months) \(monthsWord(months)) со дня \(service ? "принятия работы" : "передачи товара"))."
    }
    static func withinTwoYears(service: Bool) -> String {
        service
            ? "Недостатки обнаружены в пределах двух лет со дня принятия работы (услуги) (п. 3 ст. 29 Закона)."
            : "Недостаток обнаружен в пределах двух лет со дня передачи товара (п. 1 ст. 19 Закона)."
    }
    static let technicallyComplex =
        "Товар относится к технически сложным (Перечень, утверждённый постановлением Правительства РФ от 10.11.2011 № 924)."
    static func within15Days(lastDay: String) -> String {
        "Требование предъявляется в течение 15 дней со дня передачи товара (последний день срока — \(lastDay))."
    }
    static func significant(service: Bool) -> String {
        service ? "Недостатки являются существенными." : "Недостаток является существенным."
    }
    static let notFit = "Товар не подошёл."
    static let unused =
        "Товар не был в употреблении, сохранены его товарный вид, потребительские свойства, пломбы и фабричные ярлыки."
    static let unusedDistance = "Товар не был в употреблении, сохранены его товарный вид и потребительские свойства."
    static func within14Days(lastDay: String) -> String {
        "Требование предъявляется в течение 14 дней, не считая дня покупки (последний день срока — \(lastDay))."
    }
    static func noticeGiven(_ given: Bool) -> String {
        given
            ? "При доставке вручена письменная информация о порядке и сроках возврата товара."
            : "При доставке письменная информация о порядке и сроках возврата товара надлежащего качества не вручена."
    }
    static func distanceWindow(lastDay: String, noticeGiven: Bool) -> String {
        "Отказ от товара заявлен в срок, установленный п. 4 ст. 26.1 Закона (\(noticeGiven ? "7 дней" : "3 месяца") со дня передачи товара; последний день — \(lastDay))."
    }
    static let beforeHandover = "Отказ от товара заявлен до его передачи (п. 4 ст. 26.1 Закона)."

    /// «требование о замене товара», after «предъявлено».
    static func about(_ demand: ClaimDemand, _ base: PenaltyBase?) -> String {
        let service = base == .service
        switch demand {
        case .replacement: return "о замене товара"
        case .refund:
            return service ? "о возврате уплаченной за работу (услугу) суммы" : "о возврате уплаченной за товар суммы"
        case .priceReduction:
            return service ? "о соразмерном уменьшении цены работы (услуги)" : "о соразмерном уменьшении цены товара"
        case .repair:
            return service
                ? "о безвозмездном устранении недостатков работы (услуги)"
                : "о безвозмездном устранении недостатков товара"
        case .repairCosts: return "о возмещении расходов на исправление недостатков"
        case .delivery: return "о передаче предварительно оплаченного товара"
        case .prepaymentRefund: return "о возврате суммы предварительной оплаты"
        case .serviceTerm: return "о выполнении работы (оказании услуги)"
        }
    }
    static func earlierDemand(_ date: String, about: String, service: Bool) -> String {
        "\(date) \(service ? "исполнителю" : "продавцу") предъявлено требование \(about)."
    }
    static func termExpired(days: Int, article: String, lastDay: String, service: Bool) -> String {
        "Срок его удовлетворения — \(days) \(daysWord(days)) (\(article) Закона) — истёк \(lastDay); требование \(service ? "исполнителем" : "продавцом") не удовлетворено."
    }
    static func termRunning(days: Int, article: String, lastDay: String) -> String {
        "Срок его удовлетворения — \(days) \(daysWord(days)) (\(article) Закона) — истекает \(lastDay)."
    }
    static func deliveryMissed(days: Int, lastDay: String) -> String {
        "Срок передачи товара по договору — \(days) \(daysWord(days)) со дня оплаты, то есть не позднее \(lastDay). В этот срок товар не передан."
    }
    static func serviceTermMissed(days: Int, lastDay: String) -> String {
        "Срок выполнения работы (оказания услуги) по договору — \(days) \(daysWord(days)), то есть не позднее \(lastDay). В этот срок работа не выполнена (услуга не оказана)."
    }

    static func basis(_ citation: ClaimCitation) -> String { "\(citation.statement) (\(citation.reference))." }

    // Demands. `term` is one of the phrases below it.
    static func withinDays(_ days: Int, from event: String = "предъявления настоящей претензии") -> String {
        "в течение \(days) \(daysWord(days)) со дня \(event)"
    }
    static let withoutDelay = "незамедлительно"
    static func noLaterThan(_ date: String) -> String { "не позднее \(date)" }

    static func demandRefund(_ price: String, term: String, article: String) -> String {
        "Принять отказ от исполнения договора купли-продажи и вернуть уплаченную за товар сумму \(price) \(term) (\(article) Закона)."
    }
    static func demandReplacement(term: String) -> String {
        "Заменить товар на товар этой же марки (модели, артикула) надлежащего качества \(term) (ст. 21 Закона)."
    }
    static func demandRepair(days: Int?) -> String {
        if let days {
            return
                "Безвозмездно устранить недостатки товара в течение \(days) \(daysWord(days)) со дня его передачи для ремонта (п. 1 ст. 20 Закона)."
        }
        return
            "Безвозмездно устранить недостатки товара незамедлительно, то есть в минимальный срок, объективно необходимый для их устранения, но не более 45 дней (п. 1 ст. 20 Закона)."
    }
    static func demandRepairAgain(term: String) -> String {
        "Безвозмездно устранить недостатки товара \(term) (п. 1 ст. 20 Закона)."
    }
    static let demandSubstitute =
        "На период ремонта в течение 3 дней со дня предъявления настоящего требования безвозмездно предоставить во временное пользование аналогичный товар, обладающий теми же основными потребительскими свойствами, и обеспечить его доставку за свой счёт (п. 2 ст. 20 Закона)."
    static func demandRepairCosts(_ amount: String, term: String, article: String) -> String {
        "Возместить расходы на исправление недостатков в размере \(amount) \(term) (\(article) Закона)."
    }
    static func demandReturn14(_ price: String) -> String {
        "Обменять товар на аналогичный, подходящий по форме, габаритам, фасону, расцветке, размеру или комплектации, а при отсутствии такого товара в продаже — принять товар и вернуть уплаченную за него сумму \(price) в течение 3 дней со дня возврата товара (ст. 25 Закона)."
    }
    static func demandDistance(_ price: String, term: String) -> String {
        "Принять отказ от товара и вернуть уплаченную за него сумму \(price), за исключением расходов на доставку возвращённого товара от потребителя, \(term) (п. 4 ст. 26.1 Закона)."
    }
    static func demandServiceRepair(term: String) -> String {
        "Безвозмездно устранить недостатки выполненной работы (оказанной услуги) \(term) (ст. 29, 30 Закона)."
    }
    static func demandServiceRefund(_ price: String, term: String) -> String {
        "Принять отказ от исполнения договора и вернуть уплаченную за работу (услугу) сумму \(price) \(term) (ст. 29, п. 1 ст. 31 Закона)."
    }
    static func demandSatisfy(about: String, date: String) -> String {
        "Незамедлительно удовлетворить требование \(about) от \(date)."
    }
    static func demandDelivery(term: String) -> String {
        "Передать предварительно оплаченный товар \(term) (ст. 23.1 Закона)."
    }
    static func demandPrepaymentRefund(_ price: String, term: String) -> String {
        "Вернуть сумму предварительной оплаты \(price) \(term) (п. 2 ст. 23.1 Закона)."
    }
    static func demandServiceTerm(term: String) -> String {
        "Выполнить работу (оказать услугу) \(term) (п. 1 ст. 28 Закона)."
    }

    static func rate(_ base: PenaltyBase) -> String {
        switch base {
        case .goods: "1 % цены товара"
        case .prepayment: "0,5 % суммы предварительной оплаты"
        case .service: "3 % цены работы (услуги)"
        }
    }
    static func penaltyArticle(_ base: PenaltyBase) -> String {
        switch base {
        case .goods: "п. 1 ст. 23"
        case .prepayment: "п. 3 ст. 23.1"
        case .service: "п. 5 ст. 28"
        }
    }
    static func capOf(_ base: PenaltyBase) -> String {
        base == .prepayment ? "суммы предварительной оплаты" : "цены работы (услуги)"
    }
    /// The cap is stated for the capped bases whether or not it is reached: it explains a total below
    /// days × rate, and the seller reads the same limit a court applies.
    static func demandPenalty(
        from: String, to: String, days: Int, total: String, perDay: String, base: PenaltyBase, term: String
    ) -> String {
        let cap = base.isCapped ? ", но не более \(capOf(base))" : ""
        return
            "Выплатить \(term) неустойку за период с \(from) по \(to) (\(days) \(daysWord(days))) в размере \(total) из расчёта \(rate(base)) (\(perDay)) за каждый день просрочки\(cap) (\(penaltyArticle(base)) Закона)."
    }
    static func demandPenaltyContinues(from: String, perDay: String, cap: String?) -> String {
        let limit = cap.map { ", но в общей сумме не более \($0)" } ?? ""
        return
            "Выплатить неустойку в размере \(perDay) за каждый день просрочки начиная с \(from) по день фактического удовлетворения требования\(limit)."
    }
    static func payment(_ details: String) -> String {
        "Денежные средства прошу перечислить по реквизитам: \(sentenceBody(details))."
    }

    static func penaltyWarning(_ base: PenaltyBase) -> String {
        switch base {
        case .goods:
            "За каждый день просрочки удовлетворения требования продавец уплачивает неустойку в размере 1 % цены товара (п. 1 ст. 23 Закона)."
        case .prepayment:
            "За каждый день просрочки передачи предварительно оплаченного товара продавец уплачивает неустойку в размере 0,5 % суммы предварительной оплаты, но не более этой суммы (п. 3 ст. 23.1 Закона)."
        case .service:
            "За каждый день просрочки исполнитель уплачивает неустойку в размере 3 % цены работы (услуги), но не более цены работы (услуги) (п. 5 ст. 28, п. 3 ст. 31 Закона)."
        }
    }
    static let courtWarning =
        "В случае неудовлетворения претензии в установленный срок оставляю за собой право обратиться в суд по месту своего жительства (п. 2 ст. 17 Закона) без уплаты государственной пошлины при цене иска до 1 000 000 ₽ (п. 3 ст. 17 Закона, ст. 333.36 НК РФ) с требованием взыскать, помимо указанного, компенсацию морального вреда (ст. 15 Закона) и штраф в размере 50 % от присуждённой суммы за несоблюдение в добровольном порядке требований потребителя (п. 6 ст. 13 Закона)."
    static let answerRequest = "Ответ на претензию прошу направить в письменной форме по указанному выше адресу."

    static func attachmentReceipt(_ receipt: String) -> String {
        "Копия документа об оплате (\(sentenceBody(receipt)))."
    }
    static func attachmentEarlierDemand(_ date: String) -> String { "Копия требования от \(date)." }
    static let attachmentRepairCosts = "Копии документов, подтверждающих расходы на исправление недостатков."

    // MARK: Refusals, with their dates (the strings table of the app has one sentence per code)

    static func returnExpired(lastDay: String) -> String {
        "Срок для возврата товара надлежащего качества — 14 дней, не считая дня покупки; он истёк \(lastDay)."
    }
    static func distanceExpired(lastDay: String, noticeGiven: Bool) -> String {
        noticeGiven
            ? "Отказаться от товара, купленного дистанционно, можно в течение 7 дней после его получения; срок истёк \(lastDay). Если товар с недостатком, выберите претензию о товаре с недостатком."
            : "Отказаться от товара, купленного дистанционно, без письменной информации о порядке возврата можно в течение 3 месяцев после его получения; срок истёк \(lastDay)."
    }
    static func warrantyExpired(lastDay: String, months: Int?, service: Bool) -> String {
        let term =
            months.map { "Гарантийный срок (\($0) \(monthsWord($0))) истёк \(lastDay)." }
            ?? "Недостаток обнаружен позже двух лет со дня \(service ? "принятия работы" : "передачи товара"): срок истёк \(lastDay)."
        return term
            + " Требования после этого возможны лишь в особых случаях — если доказать, что недостаток возник до \(service ? "принятия работы" : "передачи товара") или по причинам, возникшим до этого момента (\(service ? "п. 4 и 5 ст. 29" : "п. 5 и 6 ст. 19") Закона); обратитесь за консультацией."
    }
    static func technicallyComplexExpired(lastDay: String) -> String {
        "Товар технически сложный: вернуть деньги или заменить его без дополнительных условий можно в течение 15 дней со дня передачи, последний день — \(lastDay). Позже — только при существенном недостатке, нарушении сроков ремонта или если в течение года гарантийного срока товар в совокупности более 30 дней не использовался из-за ремонта. Отметьте «Недостаток существенный», только если это так; если основание другое (сроки ремонта, более 30 дней без товара), этот шаблон его не опишет — подайте обращение или выберите претензию о ремонте."
    }
    static let serviceRefundNeedsSignificant =
        "Отказаться от договора и вернуть деньги за работу (услугу) можно, если недостатки существенные или не устранены в срок. Отметьте «Недостатки существенные», только если это так; при нарушении срока устранения выберите претензию о неустойке или подайте обращение."
    static func notYetOverdue(lastDay: String, firstDay: String) -> String {
        "Срок для удовлетворения требования истекает \(lastDay); неустойка начисляется с \(firstDay)."
    }

    // MARK: Notes for the claim's result

    static func penaltyNote(total: String, until: String) -> String { "Неустойка на \(until) — \(total)." }
    static func windowNote(lastDay: String) -> String { "Последний день срока для этого требования — \(lastDay)." }
    static let nonReturnableNote =
        "Не подлежат обмену и возврату товары надлежащего качества из перечня, утверждённого постановлением Правительства РФ от 31.12.2020 № 2463: в том числе средства личной гигиены, парфюмерия и косметика, бельё и чулочно-носочные изделия, ткани и кабель на метраж, бытовая химия, мебельные гарнитуры, ювелирные изделия, автомобили, технически сложные товары бытового назначения с гарантией от года, непериодические издания, животные и растения."

    // MARK: Words

    /// «1 день», «2 дня», «5 дней».
    static func daysWord(_ count: Int) -> String { plural(count, "день", "дня", "дней") }
    static func monthsWord(_ count: Int) -> String { plural(count, "месяц", "месяца", "месяцев") }

    static func plural(_ count: Int, _ one: String, _ few: String, _ many: String) -> String {
        let n = abs(count) % 100
        if (11...14).contains(n) { return many }
        switch n % 10 {
        case 1: return one
        case 2, 3, 4: return few
        default: return many
        }
    }

    /// Free text placed inside a sentence: without its own final full stop, so the sentence ends once.
    static func sentenceBody(_ text: String) -> String {
        var body = Substring(text)
        while let last = body.last, last == "." || last.isWhitespace { body.removeLast() }
        return String(body)
    }
}

extension ClaimCitation {
    static let art18 = ClaimTexts.lawArticle(
        "ст. 18",
        "Потребитель, которому продан товар с недостатками, если они не были оговорены продавцом, вправе по своему выбору потребовать замены товара, соразмерного уменьшения цены, незамедлительного безвозмездного устранения недостатков или возмещения расходов на их исправление либо отказаться от исполнения договора купли-продажи и потребовать возврата уплаченной за товар суммы; в отношении технически сложного товара отказ от договора или замена товара возможны в течение 15 дней со дня его передачи, а позднее — при существенном недостатке, нарушении сроков устранения недостатков или невозможности использования товара в течение каждого года гарантийного срока в совокупности более 30 дней"
    )
    static let art19 = ClaimTexts.lawArticle(
        "п. 1 ст. 19",
        "Потребитель вправе предъявить требования в связи с недостатками товара, если они обнаружены в течение гарантийного срока, а если гарантийный срок не установлен — в разумный срок, в пределах двух лет со дня передачи товара"
    )
    static let art20 = ClaimTexts.lawArticle(
        "ст. 20",
        "Недостатки товара должны быть устранены незамедлительно, а срок, определённый письменным соглашением сторон, не может превышать 45 дней; на период ремонта товара длительного пользования продавец по требованию потребителя в течение трёх дней безвозмездно предоставляет аналогичный товар, за исключением товаров из перечня, установленного Правительством РФ"
    )
    static let art21 = ClaimTexts.lawArticle(
        "п. 1 ст. 21",
        "Товар ненадлежащего качества должен быть заменён в течение 7 дней со дня предъявления требования, при необходимости дополнительной проверки качества — в течение 20 дней, а при отсутствии у продавца товара для замены — в течение месяца"
    )
    static let art22 = ClaimTexts.lawArticle(
        "ст. 22",
        "Требования потребителя о соразмерном уменьшении цены, возмещении расходов на исправление недостатков товара и о возврате уплаченной за товар суммы подлежат удовлетворению в течение 10 дней со дня их предъявления"
    )
    static let art23 = ClaimTexts.lawArticle(
        "п. 1 ст. 23",
        "За нарушение сроков, предусмотренных статьями 20, 21 и 22 Закона, продавец уплачивает потребителю неустойку в размере 1 % цены товара за каждый день просрочки"
    )
    static let art23_1 = ClaimTexts.lawArticle(
        "ст. 23.1",
        "При нарушении срока передачи предварительно оплаченного товара потребитель вправе потребовать передачи товара в новый срок или возврата суммы предварительной оплаты, которая возвращается в течение 10 дней со дня предъявления требования; за каждый день просрочки продавец уплачивает неустойку в размере 0,5 % суммы предварительной оплаты, но не более этой суммы"
    )
    static let art25 = ClaimTexts.lawArticle(
        "ст. 25",
        "Потребитель вправе в течение 14 дней, не считая дня покупки, обменять непродовольственный товар надлежащего качества, не подошедший по форме, габаритам, фасону, расцветке, размеру или комплектации, если он не был в употреблении и сохранены его товарный вид, потребительские свойства, пломбы и фабричные ярлыки; если аналогичный товар отсутствует в продаже, потребитель вправе отказаться от договора и потребовать возврата уплаченной суммы, которая возвращается в течение 3 дней со дня возврата товара"
    )
    static let art26_1 = ClaimTexts.lawArticle(
        "п. 4 ст. 26.1",
        "Потребитель вправе отказаться от товара, приобретённого дистанционным способом, в любое время до его передачи, а после передачи — в течение 7 дней, или в течение 3 месяцев, если письменная информация о порядке и сроках возврата товара надлежащего качества не была предоставлена при доставке; продавец возвращает уплаченную сумму, за исключением расходов на доставку возвращённого товара от потребителя, не позднее чем через 10 дней со дня предъявления требования"
    )
    static let art28term = ClaimTexts.lawArticle(
        "п. 1 ст. 28",
        "Если исполнитель нарушил сроки выполнения работы (оказания услуги), потребитель вправе назначить новый срок, поручить работу третьим лицам за счёт исполнителя, потребовать уменьшения цены или отказаться от исполнения договора, а также потребовать полного возмещения убытков"
    )
    static let art28penalty = ClaimTexts.lawArticle(
        "п. 5 ст. 28",
        "За нарушение сроков выполнения работы (оказания услуги) исполнитель уплачивает потребителю неустойку в размере 3 % цены работы (услуги) за каждый день просрочки, но не более цены работы (услуги)"
    )
    static let art29 = ClaimTexts.lawArticle(
        "ст. 29",
        "Потребитель при обнаружении недостатков выполненной работы (оказанной услуги) вправе потребовать их безвозмездного устранения, соразмерного уменьшения цены, повторного выполнения работы или возмещения расходов на устранение недостатков, а если недостатки не устранены в установленный срок или являются существенными — отказаться от исполнения договора; требования предъявляются в течение гарантийного срока, а при его отсутствии — в разумный срок, в пределах двух лет со дня принятия работы (услуги)"
    )
    static let art30 = ClaimTexts.lawArticle(
        "ст. 30",
        "Недостатки работы (услуги) должны быть устранены исполнителем в разумный срок, назначенный потребителем")
    static let art31 = ClaimTexts.lawArticle(
        "ст. 31",
        "Требования о соразмерном уменьшении цены, возмещении расходов на устранение недостатков и о возврате уплаченной суммы в связи с отказом от исполнения договора подлежат удовлетворению в течение 10 дней со дня их предъявления; за нарушение этих сроков исполнитель уплачивает неустойку в порядке п. 5 ст. 28 Закона"
    )
    static let technicallyComplexList = ClaimCitation(
        article: "Перечень технически сложных товаров",
        reference:
            "Перечень технически сложных товаров, утверждённый постановлением Правительства РФ от 10.11.2011 № 924",
        statement:
            "К технически сложным товарам относятся, в частности, компьютеры, смартфоны, телевизоры, холодильники, стиральные машины и автомобили"
    )
}
