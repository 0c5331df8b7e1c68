import Foundation
import Testing

@testable import Domain

@Suite("CSV")
struct CSVTests {
    @Test func parsesQuotesCommasLineBreaksAndBOM() throws {
        let text = "\u{FEFF}a,b,c\r\n\"x, y\",\"he said \"\"hi\"\"\",\"two\nlines\"\n\nlast,,\n"
        let rows = try CSV.parse(text)
        #expect(rows.map(\.fields) == [["a", "b", "c"], ["x, y", "he said \"hi\"", "two\nlines"], ["last", "", ""]])
        #expect(rows.map(\.line) == [1, 2, 5])
    }

    @Test func rendersWhatItParses() throws {
        let rows = [["код", "имя, с запятой"], ["\"кавычки\"", "строка\nвторая"]]
        #expect(try CSV.parse(CSV.render(rows)).map(\.fields) == rows)
    }

    @Test func reportsAnUnclosedQuoteWithItsLine() {
        #expect(throws: CSV.ParseError(line: 2, message: "a quoted field is not closed")) {
            try CSV.parse("a,b\n\"open,c\n")
        }
    }
}

@Suite("Classifier files")
struct ClassifierFileTests {
    static let sample = ClassifierSpec(categories: [
        CategorySpec(code: "trade", name: "Торговля", sphere: "trade", subcategories: [
            SubcategorySpec(
                code: "trade-refund", name: "Возврат товара, «качество»", kind: .appeal, answerDays: 30, dayType: .calendar,
                coordinationDays: 1, moderationDays: 1, fastTrack: false, keywords: ["возврат", "деньги"],
                questions: [
                    ExtraQuestion(code: "purchaseDate", label: "Дата покупки", type: .date, required: true),
                    ExtraQuestion(code: "where", label: "Где куплен", type: .choice, required: false, options: ["Магазин", "Интернет"]),
                ]),
        ]),
        CategorySpec(code: "roads", name: "Автомобильные дороги", sphere: nil, subcategories: [
            SubcategorySpec(
                code: "roads-potholes", name: "Ямы и выбоины", kind: .message, answerDays: 3, dayType: .working,
                coordinationDays: 1, moderationDays: 1, fastTrack: true, keywords: [], questions: []),
        ]),
    ])

    @Test func jsonAndCSVRoundTrip() throws {
        for format in ClassifierFormat.allCases {
            let parsed = try format.parse(format.render(Self.sample))
            #expect(parsed == Self.sample, "\(format)")
        }
    }

    @Test func csvErrorsNameTheirLines() {
        let csv = """
            category_code,category_name,sphere,subcategory_code,subcategory_name,kind,answer_days,day_type,coordination_days,moderation_days,fast_track,keywords,questions
            trade,Торговля,trade,trade-ok,Хорошая,appeal,30,calendar,1,1,false,,
            trade,Торговля,trade,Bad Code,Плохой код,appeal,30,calendar,1,1,false,,
            trade,Торговля,trade,trade-long,Долгая,appeal,45,calendar,1,1,false,,
            trade,Торговля,trade,trade-ok,Повтор,sometimes,x,calendar,1,1,maybe,,
            space,Космос,space,space-a,Луна,message,10,working,1,1,false,,
            """
        do {
            _ = try ClassifierCSV.parse(csv)
            Issue.record("a bad file was accepted")
        } catch {
            let found = error.issues.map { "\($0.line ?? 0):\($0.code.rawValue)" }
            #expect(found.contains("3:badCode"))
            #expect(found.contains("4:formalAppealTooLong"))
            #expect(found.contains("5:unknownKind"))
            #expect(found.contains("5:badNumber"))
            #expect(found.contains("5:badBoolean"))
            #expect(found.contains("5:duplicateCode") || found.contains("2:duplicateCode"))
            #expect(found.contains("6:unknownSphere"))
        }
    }

    @Test func csvNeedsItsColumns() {
        #expect(throws: ClassifierImportFailure.self) { try ClassifierCSV.parse("category_code,name\nx,y\n") }
    }

    @Test func jsonErrorsPointAtTheItem() {
        let json = """
            {"version": 1, "categories": [
              {"code": "trade", "name": "Торговля", "sphere": "trade", "subcategories": [
                {"code": "trade-a", "name": "А", "answerDays": 30},
                {"code": "trade-b", "name": "", "fastTrack": true, "answerDays": 10,
                 "questions": [{"code": "q", "label": "Вопрос", "type": "choice", "options": ["один"]}]}
              ]}
            ]}
            """
        do {
            _ = try ClassifierJSON.parse(Data(json.utf8))
            Issue.record("a bad file was accepted")
        } catch {
            let found = Set(error.issues.map { "\($0.line ?? 0):\($0.code.rawValue)" })
            #expect(found == ["4:emptyName", "4:fastTrackTooLong", "4:badQuestion"])
        }
        #expect(throws: ClassifierImportFailure.self) { try ClassifierJSON.parse(Data("{not json".utf8)) }
    }

    @Test func leftOutTermsTakeTheLegalDefaults() throws {
        let json = """
            {"version": 1, "categories": [{"code": "c", "name": "К", "sphere": null, "subcategories": [
              {"code": "c-appeal", "name": "Обращение"},
              {"code": "c-message", "name": "Сообщение", "kind": "message"},
              {"code": "c-fast", "name": "Фаст-трек", "kind": "message", "fastTrack": true}]}]}
            """
        let subs = try ClassifierJSON.parse(Data(json.utf8)).categories[0].subcategories
        #expect(subs.map(\.answerDays) == [30, 10, 3])
        #expect(subs.map(\.dayType) == [.calendar, .working, .working])
    }
}

@Suite("Routing")
struct RoutingTests {
    let region = UUID(), district = UUID(), settlement = UUID(), otherDistrict = UUID()
    let office = UUID(), department = UUID(), municipality = UUID(), ngo = UUID()

    var rules: [RoutingRule] {
        [
            RoutingRule(organisationID: office),
            RoutingRule(categoryCode: "trade", territoryID: district, organisationID: municipality),
            RoutingRule(territoryID: district, organisationID: department),
            RoutingRule(subcategoryCode: "finance-insurance", organisationID: ngo),
        ]
    }

    func resolve(_ sub: String, _ category: String, _ lineage: [UUID]) -> Routing.Resolution {
        Routing.resolve(subcategory: sub, category: category, territoryLineage: lineage, rules: rules)
    }

    @Test func mostSpecificRuleWins() {
        #expect(resolve("trade-refund", "trade", [settlement, district, region]) == .organisation(municipality))
        #expect(resolve("housing-heat", "housing", [settlement, district, region]) == .organisation(department))
        #expect(resolve("housing-heat", "housing", [otherDistrict, region]) == .organisation(office))
        #expect(resolve("finance-insurance", "finance", [district, region]) == .organisation(ngo))
    }

    @Test func contradictionsAreReportedNotGuessed() {
        let twice = rules + [RoutingRule(territoryID: district, organisationID: ngo)]
        let result = Routing.resolve(subcategory: "x", category: "y", territoryLineage: [district, region], rules: twice)
        #expect(result == .ambiguous([department, ngo].sorted { $0.uuidString < $1.uuidString }))
        #expect(RoutingRule(territoryID: district, organisationID: ngo).key == RoutingRule(territoryID: district, organisationID: department).key)
        #expect(Routing.resolve(subcategory: "x", category: "y", territoryLineage: [], rules: []) == .none)
    }
}

@Suite("Attachment rules")
struct AttachmentRulesTests {
    @Test func theTypeComesFromTheBytesNotTheName() {
        #expect(AttachmentKind.sniff([0xFF, 0xD8, 0xFF, 0xE1]) == .jpeg)
        #expect(AttachmentKind.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]) == .png)
        #expect(AttachmentKind.sniff(Array("%PDF-1.4".utf8)) == .pdf)
        #expect(AttachmentKind.sniff(Array("MZ\u{90}".utf8)) == nil)
        #expect(AttachmentKind.sniff([UInt8]()) == nil)
        #expect(AttachmentKind.sniff(Array("GIF89a".utf8)) == nil)
    }

    @Test func everyProblemIsReportedAtOnce() {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let uploads = [
            AttachmentRules.Upload(fileName: "big.png", size: AttachmentRules.maxBytes + 1, head: png),
            AttachmentRules.Upload(fileName: "virus.jpg", size: 10, head: Array("MZ".utf8)),
        ] + Array(repeating: AttachmentRules.Upload(fileName: "ok.png", size: 10, head: png), count: 4)
        #expect(throws: ValidationFailure([
            FieldError("attachments", .tooManyFiles), FieldError("attachments[0]", .fileTooLarge),
            FieldError("attachments[1]", .fileType),
        ])) { try AttachmentRules.validate(uploads) }
        let exactlyTen = AttachmentRules.Upload(fileName: "edge.png", size: AttachmentRules.maxBytes, head: png)
        #expect((try? AttachmentRules.validate([exactlyTen]))?.count == 1)
    }

    @Test func namesAreCleanedAndGetTheExtensionOfTheirContent() {
        #expect(AttachmentRules.displayName("C:\\Users\\Мария\\чек.pdf", kind: .png) == "чек.png")
        #expect(AttachmentRules.displayName("../../etc/passwd", kind: .pdf) == "passwd.pdf")
        #expect(AttachmentRules.displayName("\"evil\"<>.jpg", kind: .jpeg) == "evil.jpg")
        #expect(AttachmentRules.displayName("", kind: .jpeg) == "file.jpg")
        #expect(AttachmentRules.displayName(".hidden", kind: .png) == "hidden.png")
        #expect(AttachmentRules.displayName(String(repeating: "я", count: 500) + ".jpg", kind: .jpeg).count == 200)
    }
}
