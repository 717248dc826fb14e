@_spi(Fuzzing) import AdaptorServer
import Foundation
import FuzzDriver

/// libFuzzer entry point for the server's JSON request bodies (`MATRYOSHKA_FUZZ_TARGET=request`): each input is
/// parsed as every route would parse it (`RequestFuzzing.parseAsEveryRoute`). A route may reject any body with an
/// error; the fuzzer looks for crashes, sanitizer reports, leaks and hangs.
_ = FuzzDriver.target(among: ["request"])
FuzzDriver.run { bytes in RequestFuzzing.parseAsEveryRoute(Data(bytes)) }
