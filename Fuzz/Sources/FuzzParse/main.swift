import Foundation
import WardCore
import WardDetect
import WardParse
import WardRules

/// The bundled rules and mappings, loaded once (the harness runs from the repository root or Fuzz/).
nonisolated(unsafe) let engine: DetectionEngine = {
    let root = FileManager.default.fileExists(atPath: "Rules") ? "Rules" : "../Rules"
    let options = RuleLoadOptions(mappings: MappingSet.load(directory: root + "/mappings"))
    let collection = RuleLoader.load(paths: [root], options: options)
    return DetectionEngine(ruleSet: RuleSet(collection.rules), resolver: HL7PathResolver())
}()
nonisolated(unsafe) let parser = EventParser(options: ParseOptions(patientData: .randomKey()))
nonisolated(unsafe) let scratch = EngineScratch(engine: engine)
nonisolated(unsafe) var batch = EventBatch()

/// One input: the bytes as a chunk of records (HL7/ATNA framing as the tool uses), parsed, matched.
/// Any crash, trap or sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let chunk = Chunk(bytes: bytes, origin: ChunkOrigin(sourceIndex: 0, path: "fuzz.log", offset: 0, firstLine: 1,
                                                        referenceTime: 1_795_000_000),
                      framing: parser.framing, lineLimit: 4096, recordLimit: 1 << 16)
    parser.parse(chunk, into: &batch)
    var hits = 0
    engine.match(batch, chunk: chunk, scratch: scratch) { _ in hits += 1 }
    return 0
}

// SwiftPM links an executable's entry point as `FuzzParse_main`; with `-parse-as-library` there is none,
// so this one hands the command line to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzParse_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzz)
}
