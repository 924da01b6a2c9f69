import XCTest
import TensorKit

/// Asserts element-wise closeness, |a − b| ≤ atol + rtol·max(|a|, |b|) (NaN is never close),
/// naming the element that misses by the most.
public func assertClose(_ a: [Float], _ b: [Float], rtol: Float = 1e-4, atol: Float = 1e-5, _ what: String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(what): counts differ", file: file, line: line)
    var worst: (index: Int, excess: Float)?, misses = 0
    for i in 0..<min(a.count, b.count) {
        let excess = abs(a[i] - b[i]) - (atol + rtol * max(abs(a[i]), abs(b[i])))
        guard !(excess <= 0) else { continue }
        misses += 1
        let e = excess.isNaN ? Float.infinity : excess
        if worst.map({ e > $0.excess }) ?? true { worst = (i, e) }
    }
    if let i = worst?.index {
        XCTFail("\(what): \(misses) of \(a.count) elements differ, most at \(i): \(a[i]) vs \(b[i]) (tolerance \(atol + rtol * max(abs(a[i]), abs(b[i]))))",
                file: file, line: line)
    }
}

public func assertClose(_ a: Tensor, _ b: Tensor, rtol: Float = 1e-4, atol: Float = 1e-5, _ what: String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, "\(what): shapes differ", file: file, line: line)
    assertClose(a.scalars, b.scalars, rtol: rtol, atol: atol, what, file: file, line: line)
}
