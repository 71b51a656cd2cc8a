// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Parley",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "parley", targets: ["parley"]),
        .library(name: "ParleyModel", targets: ["ParleyModel"]),
        .library(name: "ParleySolver", targets: ["ParleySolver"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C libraries. Each is imported by exactly one Swift target (see STYLE.md).
        .systemLibrary(
            name: "CClp",
            pkgConfig: "clp",
            providers: [.apt(["coinor-libclp-dev"])]
        ),

        // Value types and file readers: no solver, no networking.
        .target(name: "ParleyModel"),

        // The LP/QP engine behind a small protocol; the only importer of CClp.
        .target(name: "ParleySolver", dependencies: ["ParleyModel", "CClp"]),

        .executableTarget(
            name: "parley",
            dependencies: [
                "ParleyModel",
                "ParleySolver",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(
            name: "ParleyModelTests",
            dependencies: ["ParleyModel"],
            path: "Tests/ParleyModelTests"
        ),
        .testTarget(
            name: "ParleySolverTests",
            dependencies: ["ParleyModel", "ParleySolver"],
            path: "Tests/ParleySolverTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
