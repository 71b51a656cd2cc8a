// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Parley",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "parley", targets: ["parley"]),
        .library(name: "ParleyModel", targets: ["ParleyModel"]),
        .library(name: "ParleySolver", targets: ["ParleySolver"]),
        .library(name: "ParleyDecomposition", targets: ["ParleyDecomposition"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The chain contract's YAML form and its SHA-256 content hash.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // Sockets and event loops for the secure channel; TLS itself is the system's OpenSSL.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // The node daemon: structured logs and SIGTERM/SIGINT graceful shutdown.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C libraries. Each is imported by exactly one Swift target (see STYLE.md).
        .systemLibrary(
            name: "CClp",
            pkgConfig: "clp",
            providers: [.apt(["coinor-libclp-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // glibc's mallopt, for the executable's allocator settings (see Sources/parley/Allocator.swift).
        .systemLibrary(name: "CMalloc"),
        // Silences CLP's unconditional debugging prints during QP solves without formatting them
        // (see quiet_stdout.c); used by ParleySolver only.
        .target(name: "CQuietStdout"),

        // Value types and file readers: no solver, no networking.
        .target(
            name: "ParleyModel",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // The LP/QP engine behind a small protocol; the only importer of CClp.
        .target(name: "ParleySolver", dependencies: ["ParleyModel", "CClp", "CQuietStdout"]),

        // Dantzig–Wolfe and ADMM against the `Partner` protocol. Never imports networking.
        .target(name: "ParleyDecomposition", dependencies: ["ParleyModel", "ParleySolver"]),

        // Message types and the framed, versioned codec: no sockets, no TLS, no dependencies.
        .target(name: "ParleyWire"),

        // OpenSSL TLS 1.3 over SwiftNIO, peer identity, consortium certificates; the only
        // importer of COpenSSL.
        .target(
            name: "ParleyTransport",
            dependencies: [
                "COpenSSL",
                "ParleyWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),

        // The conversation both ends follow on the secure channel: hello/welcome, and the
        // decomposition's partner messages to and from wire messages.
        .target(name: "ParleySession", dependencies: ["ParleyModel", "ParleyDecomposition", "ParleyWire"]),

        // The node service: a private model and its solver answering the contract's coordinator.
        .target(
            name: "ParleyNode",
            dependencies: [
                "ParleyModel",
                "ParleySolver",
                "ParleyDecomposition",
                "ParleyWire",
                "ParleySession",
                "ParleyTransport",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Rounds: local or remote partners, convergence logs, plan hand-out.
        .target(
            name: "ParleyCoordinator",
            dependencies: ["ParleyModel", "ParleyDecomposition", "ParleyWire", "ParleySession", "ParleyTransport"]
        ),

        .executableTarget(
            name: "parley",
            dependencies: [
                "CMalloc",
                "ParleyModel",
                "ParleySolver",
                "ParleyDecomposition",
                "ParleyCoordinator",
                "ParleyTransport",
                "ParleyNode",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Shared by the test targets: where the published instances and their optima live.
        .target(name: "ParleyTestSupport", path: "Tests/ParleyTestSupport"),
        .testTarget(
            name: "ParleyModelTests",
            dependencies: ["ParleyModel"],
            path: "Tests/ParleyModelTests"
        ),
        .testTarget(
            name: "ParleySolverTests",
            dependencies: ["ParleyTestSupport", "ParleyModel", "ParleySolver"],
            path: "Tests/ParleySolverTests"
        ),
        .testTarget(
            name: "ParleyDecompositionTests",
            dependencies: ["ParleyTestSupport", "ParleyModel", "ParleySolver", "ParleyDecomposition"],
            path: "Tests/ParleyDecompositionTests"
        ),
        .testTarget(
            name: "ParleyCoordinatorTests",
            dependencies: ["ParleyTestSupport", "ParleyModel", "ParleyDecomposition", "ParleyCoordinator"],
            path: "Tests/ParleyCoordinatorTests"
        ),
        // Fuzz/ holds the libFuzzer entry point, built on its own (see the file).
        .testTarget(
            name: "ParleyWireTests",
            dependencies: ["ParleyTestSupport", "ParleyWire"],
            path: "Tests/ParleyWireTests",
            exclude: ["Fuzz"]
        ),
        .testTarget(
            name: "ParleyTransportTests",
            dependencies: [
                "ParleyTransport",
                "ParleyWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/ParleyTransportTests"
        ),
        // Real `parley node` processes and a coordinator on loopback (builds on the executable).
        .testTarget(
            name: "ParleyEndToEndTests",
            dependencies: ["ParleyTestSupport", "ParleyModel", "ParleyCoordinator", "ParleyNode", "ParleyTransport", "ParleyWire"],
            path: "Tests/ParleyEndToEndTests"
        ),
        // Chains solved centrally: the worked examples under Deploy/examples against their
        // hand-derived optima, and split instances read back from their files.
        .testTarget(
            name: "ParleyExamplesTests",
            dependencies: ["ParleyModel", "ParleySolver"],
            path: "Tests/ParleyExamplesTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
