import WardCore

/// The one interface every input implements: files, directory walks, gzip and stdin today; a tailed
/// file, a network listener or a message stream later. It delivers chunks of whole records (see
/// ``RecordChunker``), each with its origin; the pipeline tells it what was committed.
public protocol RecordSource: AnyObject, Sendable {
    /// Replaces `chunk` with the next chunk (the old one is recycled). Returns `true` for a chunk,
    /// `false` at the end, and `nil` when `wait` is `false` and nothing is ready yet (a live source).
    /// Throws the input's error after the chunks read before it.
    func next(into chunk: inout Chunk, wait: Bool) throws(IngestError) -> Bool?

    /// A notice the source left once read to its end (bytes after the last gzip member).
    var notice: IngestNotice? { get }

    /// Everything up to `cursor` has been written and flushed by every sink. Files need nothing more;
    /// a tailed file checkpoints it, a message stream acknowledges it.
    func commit(_ cursor: SourceCursor)

    /// Ends the source now for the consumer (a signal): what is ready is delivered, then the end.
    /// Safe from any thread.
    func interrupt()

    /// Stops reading and releases the input. Idempotent.
    func close()

    /// Ends the current run for the consumer — ``next(into:wait:)`` answers `false` once — without
    /// closing: a live source is handed on to the next run (the rules were reloaded). Safe from any thread.
    func endRun()
}

extension RecordSource {
    public func endRun() {}
}
