import Foundation
import WardCore
import WardParse

/// Lines of many shapes for the definitions under test to take apart.
let lines: [UInt8] = Array("""
    20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579
    03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogs
    <13>Nov 22 10:00:00 ehr-db01 sshd[4711]: Failed password for root from 10.1.2.3 port 22 ssh2
    EHR|20261129-9:5:7:12|nurse.kim|MUSTERMANN^ERIKA|MRN0042|4711|{"action":"open","chart":"MRN0042"}
    2026-11-29T08:00:01.250+01:00 WARN [main] app: user=jdoe src=2001:db8::7 bytes=12
    [Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6
    - 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed
    
    """.utf8)

/// One input: a file of site format definitions (YAML). Loading and compiling must report problems,
/// never crash or hang; whatever compiles then parses the lines above, and `formats test`'s
/// explanation of where each pattern stops runs on each line.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let read = UserFormatLoader.definitions(yaml: text, file: "fuzz-formats.yml")
    let set = UserFormatSet(read.definitions)
    guard !set.isEmpty else { return 0 }
    let parser = EventParser(options: ParseOptions(year: 2026, patientData: .randomKey(), formats: set))
    let chunk = Chunk(bytes: lines, origin: ChunkOrigin(sourceIndex: 0, path: "fuzz.log", offset: 0, firstLine: 1,
                                                        referenceTime: 1_795_000_000),
                      framing: parser.framing, lineLimit: 4096, recordLimit: 1 << 16)
    var batch = EventBatch()
    parser.parse(chunk, into: &batch)
    for line in lines.split(separator: UInt8(ascii: "\n")).prefix(3) {
        for format in set.formats { _ = format.stop(on: Array(line)) }
    }
    return 0
}

// SwiftPM links an executable's entry point as `FuzzFormats_main`; with `-parse-as-library` there is
// none, so this one hands the command line to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzFormats_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzz)
}
