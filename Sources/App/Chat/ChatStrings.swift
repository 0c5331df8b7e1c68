import Domain
import Foundation

/// What the chat says to people, in Russian, in one place.
enum ChatStrings {
    static let systemName = "Консультация"
    static let botName = "Виртуальный помощник по ЗПП"

    static func greeting(_ name: String) -> String { "Здравствуйте! Меня зовут \(name). Чем могу Вам помочь?" }
    static func joined(_ name: String) -> String { "К чату подключился оператор — \(name)." }
    static func transferred(_ name: String) -> String { "Чат передан оператору: \(name)." }
    static let closed = "Консультация завершена. Спасибо за обращение! Копию переписки можно получить по электронной почте."
    static let queued =
        "Все операторы сейчас заняты — вы в очереди, оператор подключится, как только освободится. Пока можно задать вопрос виртуальному помощнику."
    static func botGreeting(_ reason: ConsultationRouting.BotReason) -> String {
        switch reason {
        case .afterHours:
            "Здравствуйте! Я — виртуальный помощник по защите прав потребителей. Сейчас нерабочее время: операторы отвечают по рабочим дням с 9:00 до 18:00. Задайте вопрос — я постараюсь ответить, или оставьте сообщение: оно будет зарегистрировано как обращение."
        case .nobodyOnline:
            "Здравствуйте! Я — виртуальный помощник по защите прав потребителей. Сейчас нет операторов на связи. Задайте вопрос — я постараюсь ответить, или оставьте сообщение: оно будет зарегистрировано как обращение."
        }
    }
    static func source(_ title: String) -> String { "Источник: «\(title)»" }
    static func appealRegistered(_ number: String) -> String { "По переписке зарегистрировано обращение № \(number)." }

    static let transcriptSubject = "Копия онлайн-консультации"

    static func transcript(started: Date, lines: [(Date, String, String)], timeZone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "ru_RU")
        formatter.timeZone = timeZone
        formatter.dateFormat = "dd.MM.yyyy HH:mm"
        let time = DateFormatter()
        time.timeZone = timeZone
        time.dateFormat = "HH:mm"
        var text = "Онлайн-консультация от \(formatter.string(from: started))\n\n"
        for (at, author, body) in lines { text += "[\(time.string(from: at))] \(author): \(body)\n\n" }
        return text + "—\nЭто письмо отправлено по вашей просьбе из окна онлайн-консультации."
    }

    static func outcome(_ outcome: ConsultationOutcome) -> String {
        switch outcome {
        case .answered: "Дан ответ"
        case .appealCreated: "Зарегистрировано обращение"
        case .referred: "Перенаправлен"
        case .abandoned: "Собеседник ушёл"
        case .spam: "Спам"
        }
    }

    static func state(_ state: ConsultationState) -> String {
        switch state {
        case .waiting: "В очереди"
        case .bot: "Отвечает помощник"
        case .active: "Идёт консультация"
        case .closed: "Завершена"
        }
    }

    static func presence(_ status: ChatOperator.Status) -> String {
        switch status {
        case .online: "На связи"
        case .away: "Отошёл"
        case .offline: "Не в сети"
        }
    }

    static func flood(_ seconds: Int) -> String { "Слишком много сообщений подряд. Подождите \(seconds) с." }
}
