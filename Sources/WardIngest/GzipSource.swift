import CZlib

/// Decompresses a gzip stream from another source, member after member.
///
/// gzip files may hold several members back to back (`cat a.gz b.gz`, `pigz`, log rotators that
/// append): after each member's end the next one starts, until the input ends. Bytes after the last
/// member that are not a gzip header are reported once as a notice and ignored, as `gzip -d` does.
///
/// Errors carry the compressed offset (where in the file) and the decompressed offset (how much was
/// delivered). Everything inflated before a corruption or truncation is delivered first; the error
/// comes with the following read, so no good line is lost.
public struct GzipSource<Upstream: ByteSource>: ByteSource {
    private var upstream: Upstream
    private let path: String
    private var stream: UnsafeMutablePointer<z_stream>
    private var input: UnsafeMutableRawBufferPointer
    private var inputConsumedBefore: Int64 = 0  // compressed bytes consumed before `input`'s current fill
    private var inputFill = 0
    private var inMember = false
    private var finished = false
    private var pendingError: IngestError?
    private var pendingFailure: (code: IngestError.Code, message: String)?
    /// Decompressed bytes delivered so far.
    public private(set) var delivered: Int64 = 0
    /// Set when bytes after the last member were ignored.
    public private(set) var notice: IngestNotice?
    private let owner: StreamOwner

    /// Frees zlib's state when the last copy of the source goes away.
    private final class StreamOwner {
        let stream: UnsafeMutablePointer<z_stream>
        let input: UnsafeMutableRawBufferPointer
        init(stream: UnsafeMutablePointer<z_stream>, input: UnsafeMutableRawBufferPointer) {
            self.stream = stream
            self.input = input
        }
        deinit {
            inflateEnd(stream)
            stream.deallocate()
            input.deallocate()
        }
    }

    /// - Parameter inputBufferSize: compressed bytes read per upstream call (256 KiB: zlib's rate does
    ///   not improve beyond it, `PERF-NOTES.md` §1.4).
    public init(upstream: Upstream, path: String, inputBufferSize: Int = 256 << 10) {
        self.upstream = upstream
        self.path = path
        self.stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        self.stream.initialize(to: z_stream())
        self.input = UnsafeMutableRawBufferPointer.allocate(byteCount: inputBufferSize, alignment: 16)
        // 16 + 15: gzip wrapper only, 32 KiB window.
        _ = czlib_inflateInit2(self.stream, 16 + 15)
        self.owner = StreamOwner(stream: stream, input: input)
    }

    /// The source the compressed bytes come from.
    public var upstreamSource: Upstream { upstream }

    public mutating func waitForInput(milliseconds: Int) -> Bool {
        if finished || pendingError != nil || pendingFailure != nil || stream.pointee.avail_in > 0 { return true }
        return upstream.waitForInput(milliseconds: milliseconds)
    }

    /// Compressed bytes consumed so far (the position in the `.gz` file).
    private var compressedPosition: Int64 {
        inputConsumedBefore + Int64(inputFill - Int(stream.pointee.avail_in))
    }

    private func error(_ code: IngestError.Code, _ message: String) -> IngestError {
        IngestError(code: code, path: path, offset: compressedPosition, decompressedOffset: delivered, message: message)
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(IngestError) -> Int {
        if let pendingError {
            self.pendingError = nil
            finished = true
            throw pendingError
        }
        guard !finished, let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        stream.pointee.next_out = out.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
        var produced: Int { buffer.count - Int(stream.pointee.avail_out) }

        while stream.pointee.avail_out > 0 {
            if stream.pointee.avail_in == 0 {
                inputConsumedBefore += Int64(inputFill)
                inputFill = 0
                let n: Int
                do {
                    n = try upstream.read(into: input)
                } catch {
                    pendingError = error
                    break
                }
                if n == 0 {
                    if inMember {
                        pendingFailure = (.truncatedGzip, "gzip stream is truncated: the input ends inside a compressed member.")
                    } else {
                        finished = true
                    }
                    break
                }
                inputFill = n
                stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = UInt32(n)
            }
            if !inMember {
                // Between members: a new member must start with the gzip magic byte.
                if stream.pointee.next_in.pointee != 0x1F {
                    notice = IngestNotice(
                        path: path, offset: compressedPosition,
                        message: "ignored \(describeTrailing()) after the last gzip member.")
                    finished = true
                    break
                }
                inMember = true
            }
            let status = inflate(stream, Z_NO_FLUSH)
            switch status {
            case Z_STREAM_END:
                inMember = false
                inflateReset(stream)
            case Z_OK, Z_BUF_ERROR:
                continue
            default:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                pendingFailure = (.corruptGzip, "gzip data is corrupt: \(reason).")
            }
            if pendingFailure != nil { break }
        }
        delivered += Int64(produced)
        if let failure = pendingFailure {
            // Made after counting this call's bytes, so the decompressed offset covers all delivered.
            pendingError = error(failure.code, failure.message)
            pendingFailure = nil
        }
        if produced == 0, let pendingError {
            self.pendingError = nil
            finished = true
            throw pendingError
        }
        return produced
    }

    private mutating func describeTrailing() -> String {
        // Count what is left without holding it; the notice only needs a size.
        var total = Int64(stream.pointee.avail_in)
        stream.pointee.avail_in = 0
        while let n = try? upstream.read(into: input), n > 0 { total += Int64(n) }
        return total == 1 ? "1 trailing byte" : "\(total) trailing bytes"
    }
}
