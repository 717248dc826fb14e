import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's driver, called from Swift's entry point (SwiftPM gives executables their own `main`).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// Runs libFuzzer with the process's arguments on one parser.
public enum FuzzDriver {
    nonisolated(unsafe) private static var body: ([UInt8]) -> Void = { _ in }

    /// The target named by `MATRYOSHKA_FUZZ_TARGET`; exits with status 2 and a message when it is not in `known`.
    public static func target(among known: [String]) -> String {
        let target = ProcessInfo.processInfo.environment["MATRYOSHKA_FUZZ_TARGET"] ?? ""
        guard known.contains(target) else {
            FileHandle.standardError.write(Data(
                "MATRYOSHKA_FUZZ_TARGET must be one of \(known.joined(separator: ", ")); got '\(target)'\n".utf8))
            exit(2)
        }
        return target
    }

    /// Hands every input libFuzzer makes to `body` (which may reject it in any way but by crashing), then exits
    /// with libFuzzer's status.
    public static func run(_ body: @escaping ([UInt8]) -> Void) -> Never {
        self.body = body
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            FuzzDriver.body(size == 0 ? [] : Array(UnsafeBufferPointer(start: data!, count: size)))
            return 0
        })
    }
}
