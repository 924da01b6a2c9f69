import Foundation
import XCTest
import KnowledgeGraph

final class AssignmentGeneratorTests: XCTestCase {
    static let parameters = AssignmentGenerator.Parameters(minDepth: 1, maxDepth: 5, distractors: 4, variables: 12, modulus: 5,
                                                           additionProbability: 0.5, trainPerDepth: 200, testPerDepth: 50,
                                                           trainSampleInTest: 20, smallTestPerType: 3, seed: 2)

    /// A program read back from its tokens by this test's own parser.
    struct Program {
        /// name → (source token, added constant); source is a name or a `<N>` constant.
        var assignments: [String: (source: String, add: Int)] = [:]
        var order: [String] = []
        var query = ""
        var statementCount = 0
    }

    func constant(_ token: String) -> Int? {
        guard token.hasPrefix("<"), token.hasSuffix(">") else { return nil }
        return Int(token.dropFirst().dropLast())
    }

    func parse(_ tokens: [String], file: StaticString = #filePath, line: UInt = #line) -> Program {
        var program = Program()
        XCTAssertEqual(tokens[tokens.count - 2], "<?>", file: file, line: line)
        program.query = tokens.last!
        for statement in tokens.dropLast(2).split(separator: "<;>") {
            let s = Array(statement)
            XCTAssertTrue(s.count == 3 || (s.count == 5 && s[3] == "<+>"), "\(s)", file: file, line: line)
            XCTAssertEqual(s[1], "<=>", file: file, line: line)
            XCTAssertNil(program.assignments[s[0]], "\(s[0]) is assigned twice", file: file, line: line)
            program.assignments[s[0]] = (s[2], s.count == 5 ? constant(s[4])! : 0)
            program.order.append(s[0])
            program.statementCount += 1
        }
        return program
    }

    /// Follows the query through the table: (depth in assignments, value), or nil on a cycle or an unassigned name.
    func resolve(_ program: Program, modulus: Int) -> (depth: Int, value: Int)? {
        var name = program.query, depth = 0, total = 0
        var seen = Set<String>()
        while seen.insert(name).inserted {
            guard let (source, add) = program.assignments[name] else { return nil }
            depth += 1
            total += add
            if let c = constant(source) { return (depth, (total + c) % modulus) }
            name = source
        }
        return nil
    }

    func testEveryQueryHasTheRequestedDepthAndItsAnswerIsItsValue() throws {
        let p = Self.parameters
        let data = try AssignmentGenerator(parameters: p).generate()
        let v = data.vocabulary
        var counts: [String: Int] = [:]
        for split in [data.train, data.test, data.valid, data.testSmall] {
            for example in split.examples {
                let tokens = example.inputIDs.map { v.tokens[Int($0)] }
                let program = parse(tokens)
                let type = example.type!
                let k = Int(type.dropFirst("assignment_d".count).prefix { $0.isNumber })!
                // Each name is assigned once (checked by the parser), so the query's chain is its
                // only path: its length is the depth.
                let (depth, value) = try XCTUnwrap(resolve(program, modulus: 5), tokens.joined())
                XCTAssertEqual(depth, k, "\(type): \(tokens.joined())")
                XCTAssertEqual(example.answer, [v.id("<\(value)>")!], tokens.joined())
                XCTAssertEqual(program.statementCount, k + 4, "depth + distractors statements")
                // Every name a statement copies is assigned somewhere, and nothing loops.
                for (_, (source, _)) in program.assignments where constant(source) == nil {
                    XCTAssertNotNil(program.assignments[source], "\(source) is never assigned")
                }
                counts[type, default: 0] += split.name == "train" ? 1 : 0
            }
        }
        for k in 1...5 { XCTAssertEqual(counts["assignment_d\(k)_train"], 200) }
    }

    func testTrainAndTestAreDistinctAndDisjointPerDepth() throws {
        let data = try AssignmentGenerator(parameters: Self.parameters).generate()
        XCTAssertEqual(data.train.types, (1...5).map { "assignment_d\($0)_train" })
        let train = data.train.examples.map(\.inputIDs)
        XCTAssertEqual(Set(train).count, train.count)
        for k in 1...5 {
            let test = data.test.selecting(types: ["assignment_d\(k)_test"]).examples.map(\.inputIDs)
            XCTAssertEqual(Set(test).count, 50)
            XCTAssertTrue(Set(train).isDisjoint(with: test))
            let sampled = data.test.selecting(types: ["assignment_d\(k)_train"]).examples.map(\.inputIDs)
            XCTAssertEqual(sampled.count, 20)
            XCTAssertTrue(Set(sampled).isSubset(of: Set(train)))
        }
        XCTAssertEqual(data.testSmall.count, 10 * 3)
    }

    func testStatementOrderAdditionsAndDefaultsLength() throws {
        var p = Self.parameters
        (p.shuffleStatements, p.additionProbability) = (false, 0)
        let ordered = try AssignmentGenerator(parameters: p).generate()
        for example in ordered.train.examples {
            let program = parse(example.inputIDs.map { ordered.vocabulary.tokens[Int($0)] })
            XCTAssertTrue(program.assignments.values.allSatisfy { $0.add == 0 }, "copies only")
            // Unshuffled, a statement refers only to names assigned above it.
            for (index, name) in program.order.enumerated() {
                let source = program.assignments[name]!.source
                if constant(source) == nil { XCTAssertLessThan(program.order.firstIndex(of: source)!, index) }
            }
        }
        p.additionProbability = 1
        p.shuffleStatements = true
        let shuffled = try AssignmentGenerator(parameters: p).generate()
        var forward = 0
        for example in shuffled.train.examples {
            let program = parse(example.inputIDs.map { shuffled.vocabulary.tokens[Int($0)] })
            XCTAssertTrue(program.assignments.values.allSatisfy { constant($0.source) != nil || $0.add > 0 }, "every reference adds")
            for (index, name) in program.order.enumerated() {
                let source = program.assignments[name]!.source
                if constant(source) == nil && program.order.firstIndex(of: source)! > index { forward += 1 }
            }
        }
        XCTAssertGreaterThan(forward, 100, "shuffled programs refer forward too")
        // The defaults stay short: at most 4 + 3 statements of 6 tokens, and the query.
        let defaults = try AssignmentGenerator().generate()
        XCTAssertLessThanOrEqual(defaults.train.examples.map(\.inputIDs.count).max()!, 42)
    }

    func testSameSeedSameDatasetOtherSeedAnother() throws {
        let a = try AssignmentGenerator(parameters: Self.parameters).generate()
        XCTAssertEqual(a.train.examples, try AssignmentGenerator(parameters: Self.parameters).generate().train.examples)
        var other = Self.parameters
        other.seed = 3
        XCTAssertNotEqual(a.train.examples, try AssignmentGenerator(parameters: other).generate().train.examples)
    }

    func testWriteThenLoadRoundTripsAndRegenerates() throws {
        let dir = try temporaryDirectory(self)
        let generated = try AssignmentGenerator(parameters: Self.parameters).write(to: dir)
        let dataset = try Dataset.load(from: dir)
        XCTAssertEqual(dataset.vocabulary.tokens.first, "<pad>")
        XCTAssertNotNil(dataset.vocabulary.id("<v_11>"))
        XCTAssertNotNil(dataset.vocabulary.id("</a>"))
        for name in Dataset.splitNames {
            XCTAssertEqual(try dataset.split(name).examples, try generated.split(name).examples, name)
        }
        let manifest = try XCTUnwrap(dataset.manifest)
        XCTAssertEqual(manifest.generator, "assignment")
        XCTAssertEqual(manifest.parameters, .assignment(Self.parameters))
        XCTAssertEqual(try manifest.regenerate().test.examples, generated.test.examples)
        let solver = try XCTUnwrap(manifest.answerSolver)
        XCTAssertEqual(solver.check(try dataset.split("test"), vocabulary: dataset.vocabulary).wrong, 0)
    }

    func testBadParametersAreNamedErrors() {
        func generating(_ change: (inout AssignmentGenerator.Parameters) -> Void) -> () throws -> GeneratedDataset {
            var p = Self.parameters
            change(&p)
            return { try AssignmentGenerator(parameters: p).generate() }
        }
        assertThrows(nil, mentioning: ["min_depth"], generating { $0.minDepth = 0 })
        assertThrows(nil, mentioning: ["max_depth"], generating { $0.maxDepth = 0 })
        assertThrows(nil, mentioning: ["variables", "max_depth + distractors = 9"], generating { $0.variables = 8 })
        assertThrows(nil, mentioning: ["modulus"], generating { $0.modulus = 1 })
        assertThrows(nil, mentioning: ["addition_probability"], generating { $0.additionProbability = 1.5 })
        assertThrows(nil, mentioning: ["test_per_depth"], generating { $0.testPerDepth = 0 })
        // Depth 1, no distractors, 2 names, 2 values: only 4 programs exist.
        assertThrows(nil, mentioning: ["5", "distinct were found"], generating {
            ($0.minDepth, $0.maxDepth, $0.distractors, $0.variables, $0.modulus, $0.trainPerDepth, $0.testPerDepth) = (1, 1, 0, 2, 2, 3, 2)
        })
    }

    func testSolverFollowsTheTable() {
        let program = ["<v_4>", "<=>", "<v_7>", "<+>", "<2>", "<;>", "<v_1>", "<=>", "<5>", "<;>",
                       "<v_7>", "<=>", "<v_1>", "<;>", "<v_0>", "<=>", "<3>", "<;>"]
        XCTAssertEqual(AssignmentGenerator.answer(to: program + ["<?>", "<v_4>"], modulus: 7), ["<0>"])
        XCTAssertEqual(AssignmentGenerator.answer(to: program + ["<?>", "<v_7>"], modulus: 7), ["<5>"])
        XCTAssertNil(AssignmentGenerator.answer(to: program + ["<?>", "<v_9>"], modulus: 7), "never assigned")
        let cycle = ["<v_1>", "<=>", "<v_2>", "<;>", "<v_2>", "<=>", "<v_1>", "<;>", "<?>", "<v_1>"]
        XCTAssertNil(AssignmentGenerator.answer(to: cycle, modulus: 7), "a cycle")
        let twice = ["<v_1>", "<=>", "<2>", "<;>", "<v_1>", "<=>", "<3>", "<;>", "<?>", "<v_1>"]
        XCTAssertNil(AssignmentGenerator.answer(to: twice, modulus: 7), "assigned twice")
    }
}
