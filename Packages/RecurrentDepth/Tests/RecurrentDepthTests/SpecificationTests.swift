import XCTest
import RecurrentDepth

/// The one grammar of `name:key=value,...` specifications, and the typed reading of parameters.
final class SpecificationTests: XCTestCase {
    func parse(_ text: String) throws -> ComponentSpecification { try ComponentSpecification(parsing: text, kind: "probe") }

    /// The reason a malformed specification gives (nil: it parsed).
    func reason(_ text: String) -> String? {
        do { _ = try parse(text); return nil } catch let SpecificationError.malformed(spec, kind, reason) {
            XCTAssertEqual(spec, text)
            XCTAssertEqual(kind, "probe")
            return reason
        } catch { return "unexpected \(error)" }
    }

    func testNamesAndKeyValuePairs() throws {
        XCTAssertEqual(try parse("grokking"), ComponentSpecification(name: "grokking"))
        XCTAssertEqual(try parse(" fixed :r=6"), ComponentSpecification(name: "fixed", values: ["r": "6"]))
        XCTAssertEqual(try parse("entropy-kl:eps_kl=0.01,threshold=3,max_iters=12"),
                       ComponentSpecification(name: "entropy-kl", values: ["eps_kl": "0.01", "threshold": "3", "max_iters": "12"]))
        // Keys are trimmed; values are kept as written, and may be empty or hold '=' and ':'.
        XCTAssertEqual(try parse("p: title = a=b ,report=/x:y,ood=").values, ["title": " a=b ", "report": "/x:y", "ood": ""])
    }

    func testAnItemWithoutEqualsContinuesTheListBeforeIt() throws {
        XCTAssertEqual(try parse("logit-margin:splits=2hop_test,3hop_test,iterations=20").values,
                       ["splits": "2hop_test,3hop_test", "iterations": "20"])
        XCTAssertEqual(try parse("probe:key=a,b").values, ["key": "a,b"])
        XCTAssertEqual(try parse("probe:a=1,b=x,y,z").values, ["a": "1", "b": "x,y,z"])
        XCTAssertEqual(try parse("probe:splits= a, b").values, ["splits": " a, b"])
    }

    func testMalformedSpecificationsSayWhatIsWrong() {
        XCTAssertEqual(reason(":r=1"), "no name before the parameters")
        XCTAssertEqual(reason("  "), "no name before the parameters")
        XCTAssertEqual(reason("entropy-kl:eps_kl"), "'eps_kl' is not key=value")
        XCTAssertEqual(reason("fixed:=3"), "'=3' has no key before '='")
        XCTAssertEqual(reason("kl:eps_kl=1,eps_kl=2"), "'eps_kl' is given twice")
        XCTAssertEqual(reason("kl:eps_kl=1,max_iters=3,eps_kl"), nil, "a bare item continues; it does not repeat a key")
        for stray in ["fixed:", "a:x=1,,y=2", "a:x=1,", "a:,x=1"] {
            XCTAssertEqual(reason(stray), "an empty item (a stray comma, or nothing after ':')", stray)
        }
        let error = SpecificationError.malformed("fixed:=3", kind: "schedule", reason: "'=3' has no key before '='")
        XCTAssertEqual(error.description, "schedule 'fixed:=3': '=3' has no key before '=' (expected name or name:key=value,key=value)")
    }

    let declared = [ParameterSpec("iterations", default: "", "steps"), ParameterSpec("tau", default: "0.9", "bound"),
                    ParameterSpec("splits", default: "a,b", "types"), ParameterSpec("position", default: "pred_pos", "where")]

    func parameters(_ given: [String: String]) throws -> Parameters {
        try Parameters(kind: "probe", component: "p", declared: declared, given: given)
    }

    func message(_ body: () throws -> Any) -> String {
        do { let value = try body(); return "no error: \(value)" } catch { return "\(error)" }
    }

    func testParametersTakeDefaultsAndRejectUnknownKeys() throws {
        let p = try parameters(["tau": "0.5"])
        XCTAssertEqual(p.values, ["iterations": "", "tau": "0.5", "splits": "a,b", "position": "pred_pos"])
        XCTAssertThrowsError(try parameters(["tau": "1", "taus": "2"])) { error in
            XCTAssertEqual(error as? SpecificationError,
                           .unknownParameter("taus", kind: "probe", component: "p", valid: ["iterations", "tau", "splits", "position"]))
            XCTAssertEqual("\(error)", "probe 'p' has no parameter 'taus'; valid: iterations, tau, splits, position")
        }
        XCTAssertEqual("\(SpecificationError.unknownParameter("x", kind: "backend", component: "reference", valid: []))",
                       "backend 'reference' has no parameter 'x'; it takes none")
    }

    func testTypedReadsNameTheKeyTheValueAndWhatWasExpected() throws {
        XCTAssertEqual(try parameters(["iterations": " 12 "]).number("iterations", in: 1...100), 12)
        XCTAssertNil(try parameters([:]).optionalNumber("iterations", in: 1...100))
        XCTAssertEqual(try parameters(["iterations": "7"]).optionalNumber("iterations", in: 1...100), 7)
        XCTAssertEqual(message { try self.parameters(["iterations": "many"]).number("iterations", as: Int.self) },
                       "probe 'p': iterations=many: not an integer")
        XCTAssertEqual(message { try self.parameters(["iterations": "2.5"]).number("iterations", as: Int.self) },
                       "probe 'p': iterations=2.5: not an integer")
        XCTAssertEqual(message { try self.parameters(["iterations": "0"]).number("iterations", in: 1...100) },
                       "probe 'p': iterations=0: must be in 1...100")
        for nonFinite in ["nan", "inf", "-inf"] {
            XCTAssertEqual(message { try self.parameters(["tau": nonFinite]).number("tau", as: Double.self) },
                           "probe 'p': tau=\(nonFinite): not finite")
        }
        XCTAssertEqual(message { try self.parameters(["tau": "x"]).number("tau", as: Double.self) }, "probe 'p': tau=x: not a number")
        XCTAssertEqual(message { try self.parameters(["tau": "-1"]).number("tau", as: Float.self) { $0 > 0 ? nil : "must be positive" } },
                       "probe 'p': tau=-1: must be positive")
        // A Float is read as Float parses it, not through Double.
        XCTAssertEqual(try parameters(["tau": "0.001"]).number("tau", as: Float.self).bitPattern, Float("0.001")!.bitPattern)
        XCTAssertEqual(try parameters(["splits": " 2hop_test, ,3hop_test,"]).list("splits"), ["2hop_test", "3hop_test"])
        XCTAssertEqual(try parameters(["splits": ""]).list("splits"), [])
        XCTAssertEqual(try parameters([:]).choice("position", among: ["pred_pos", "first_pad"]), "pred_pos")
        XCTAssertEqual(message { try self.parameters(["position": "middle"]).choice("position", among: ["pred_pos", "first_pad"]) },
                       "probe 'p': position=middle: must be one of pred_pos, first_pad")
    }

    func testATableMakesComponentsFromSpecificationsAndListsWhatIsValid() throws {
        var table = ComponentTable<String>(kind: "greeting")
        table.register(Component(name: "hello", summary: "says hello", parameters: [ParameterSpec("to", default: "world", "whom")]) {
            "hello " + $0.list("to").joined(separator: " and ")
        })
        table.register(Component(name: "bye", summary: "says bye") { _ in "bye" })
        XCTAssertEqual(try table.make("hello"), "hello world")
        XCTAssertEqual(try table.make("hello:to=you,them"), "hello you and them")
        XCTAssertEqual(try table.make("hello", parameters: ["to": "me"]), "hello me")
        XCTAssertEqual(message { try table.make("hi") }, "unknown greeting 'hi'; known: hello, bye")
        XCTAssertEqual(message { try table.make("bye:to=you") }, "greeting 'bye' has no parameter 'to'; it takes none")
        XCTAssertEqual(message { try table.make("hello:you") }, "greeting 'hello:you': 'you' is not key=value (expected name or name:key=value,key=value)")
        // Registering a name again replaces the component, in place of appending a second.
        table.register(Component(name: "hello", summary: "says hi") { _ in "hi" })
        XCTAssertEqual(table.names, ["bye", "hello"])
        XCTAssertEqual(try table.make("hello"), "hi")
    }

    func testBuiltInSchedulesTakeTheirDefaultsFromTheSchedules() throws {
        let registry = ScheduleRegistry.builtIn
        XCTAssertEqual(registry.names, ["fixed", "dynamic"])
        let dynamic = try registry.make("dynamic") as! DynamicRecurrence, reference = DynamicRecurrence()
        XCTAssertEqual([dynamic.mean, Double(dynamic.minimum), Double(dynamic.maximum)], [reference.mean, Double(reference.minimum), Double(reference.maximum)])
        let custom = try registry.make("dynamic:mean=3.5,max=6") as! DynamicRecurrence
        XCTAssertEqual([custom.mean, Double(custom.minimum), Double(custom.maximum)], [3.5, 2, 6])
        XCTAssertEqual((try registry.make("fixed") as! FixedRecurrence).r, 4)
        XCTAssertEqual((try registry.make("fixed:r=7") as! FixedRecurrence).r, 7)
        XCTAssertEqual(message { try registry.make("fixed:r=0") }, "schedule 'fixed': r=0: must be at least 1")
        XCTAssertEqual(message { try registry.make("dynamic:min=5,max=3") }, "schedule 'dynamic': min=5: exceeds max (3)")
        XCTAssertEqual(message { try registry.make("dynamic:mean=0") }, "schedule 'dynamic': mean=0: must be positive")
        XCTAssertEqual(message { try registry.make("dynamic:average=3") }, "schedule 'dynamic' has no parameter 'average'; valid: mean, min, max")
    }
}
