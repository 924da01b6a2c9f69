/// Finds tokens the way the reference does, with the regular expression `<[^>]+>`: a `<`, one or
/// more bytes other than `>`, then `>`. Bytes outside a match are skipped, as `re.findall` skips them.
enum TokenScanner {
    /// Calls `body(start, count)` for each token in `count` bytes at `p`, in order.
    @inline(__always)
    static func forEachToken(_ p: UnsafePointer<UInt8>, _ count: Int,
                             _ body: (UnsafePointer<UInt8>, Int) throws -> Void) rethrows {
        var i = 0
        while i < count {
            guard p[i] == UInt8(ascii: "<") else { i += 1; continue }
            // `[^>]+` needs at least one byte before the closing `>`.
            guard i + 1 < count, p[i + 1] != UInt8(ascii: ">") else { i += 1; continue }
            var j = i + 2
            while j < count && p[j] != UInt8(ascii: ">") { j += 1 }
            if j == count { return }  // no `>` left: nothing further can match
            try body(p + i, j - i + 1)
            i = j + 1
        }
    }
}
