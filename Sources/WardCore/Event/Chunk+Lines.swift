extension Chunk {
    /// One line of a chunk, as the parsers see it.
    public struct Line {
        /// Start of the line in the chunk.
        public var start: Int
        /// Length kept: without the `\n` or `\r\n`, and at most the chunk's ``Chunk/lineLimit``.
        public var length: Int
        /// Length in the input (without the line end); larger than `length` when the line was cut.
        public var fullLength: Int
        /// 1-based line number in the input.
        public var number: Int64

        @inlinable
        public init(start: Int, length: Int, fullLength: Int, number: Int64) {
            self.start = start
            self.length = length
            self.fullLength = fullLength
            self.number = number
        }
    }

    /// Calls `body` for each line of the chunk, in order.
    ///
    /// Lines end at `\n`; a `\r` before it is dropped (CRLF files); a last line without newline is
    /// a line. Lines longer than ``lineLimit`` are cut to it and report their real length in
    /// ``Line/fullLength``, so nothing is dropped silently.
    /// - Complexity: O(*n*) in the chunk's size, with `memchr` doing the scanning; does not allocate.
    @inlinable
    public func forEachLine(_ body: (Line) throws -> Void) rethrows {
        try withUnsafeBytes { buf in
            guard let base = buf.baseAddress else { return }
            let end = buf.count
            var start = 0
            var number = origin.firstLine
            while start < end {
                let newline = ByteScan.firstIndex(of: ASCII.newline, in: base, from: start, to: end) ?? end
                var lineEnd = newline
                if lineEnd > start, base[lineEnd - 1] == ASCII.carriageReturn { lineEnd -= 1 }
                var full = lineEnd - start
                var kept = full
                if let cut = truncatedLineLength {
                    full = cut
                } else if kept > lineLimit {
                    kept = lineLimit
                }
                try body(Line(start: start, length: kept, fullLength: full, number: number))
                number += 1
                start = newline + 1
            }
        }
    }
}
