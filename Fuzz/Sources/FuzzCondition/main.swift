import WardRules

/// One input: a condition, in a rule whose searches are `a`, `b`, `sel_c` and `sel_d`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var condition = ""
    for scalar in String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self).unicodeScalars
    where scalar != "'" && scalar != "\n" && scalar != "\r" {
        condition.unicodeScalars.append(scalar)
    }
    let yaml = """
        title: t
        logsource: {product: linux}
        detection:
            a: {x: 1}
            b: {y|contains: 2}
            sel_c: [k]
            sel_d: {z|re: 'q+'}
            condition: '\(condition)'
        """
    var collection = RuleCollection()
    RuleLoader.load(yaml: yaml, file: "fuzz.yml", options: RuleLoadOptions(), into: &collection)
    return 0
}

// SwiftPM links an executable's entry point as `FuzzCondition_main`; with `-parse-as-library` there is none,
// so this one hands the command line to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzCondition_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzz)
}
