import ParleyModel
import Testing

@Suite struct NodeConfigurationTests {
    let complete = """
        party: firmA
        listen: 127.0.0.1:7401
        contract: chain.yaml
        model: models/firmA.mps
        state: state
        tls:
          certificate: tls/firmA.crt
          key: tls/firmA.key
          ca: /etc/parley/ca.crt
        """

    @Test func pathsAreRelativeToTheFile() throws {
        let configuration = try NodeConfiguration.parse(yaml: complete, file: "/srv/parley/node.yaml")
        #expect(configuration.party == "firmA")
        #expect(configuration.contract == "/srv/parley/chain.yaml")
        #expect(configuration.model == "/srv/parley/models/firmA.mps")
        #expect(configuration.key == "/srv/parley/tls/firmA.key")
        #expect(configuration.certificateAuthority == "/etc/parley/ca.crt")
        #expect(configuration.revocationList == nil)
        #expect(configuration.interface == nil)
    }

    @Test func environmentOverridesTheFile() throws {
        let configuration = try NodeConfiguration.parse(
            yaml: complete, file: "/srv/parley/node.yaml",
            environment: ["PARLEY_LISTEN": "0.0.0.0:9000", "PARLEY_TLS_KEY": "/run/secrets/key", "PARLEY_INTERFACE": "a, b"])
        #expect(configuration.listen == "0.0.0.0:9000")
        #expect(configuration.key == "/run/secrets/key")
        #expect(configuration.interface == ["a", "b"])
    }

    @Test func missingKeyNamesItAndItsVariable() {
        let text = complete.replacingOccurrences(of: "  key: tls/firmA.key\n", with: "")
        #expect(throws: ModelFileError(file: "node.yaml", line: nil, message: "tls.key: missing (set it in the file or with PARLEY_TLS_KEY)")) {
            _ = try NodeConfiguration.parse(yaml: text, file: "node.yaml")
        }
    }

    @Test func badListenNamesTheLine() {
        let text = complete.replacingOccurrences(of: "127.0.0.1:7401", with: "127.0.0.1:99999")
        #expect(throws: ModelFileError(file: "node.yaml", line: 2, message: "listen: '127.0.0.1:99999' must be host:port with a port from 1 to 65535")) {
            _ = try NodeConfiguration.parse(yaml: text, file: "node.yaml")
        }
    }

    /// How long a round's private proposals stay on disk: 30 days unless set; 0 keeps them.
    @Test func retentionDaysAreAWholeNumberOfDays() throws {
        #expect(try NodeConfiguration.parse(yaml: complete, file: "node.yaml").retentionDays == 30)
        #expect(try NodeConfiguration.parse(yaml: complete + "\nretention_days: 7\n", file: "node.yaml").retentionDays == 7)
        #expect(try NodeConfiguration.parse(yaml: complete + "\nretention_days: 0\n", file: "node.yaml").retentionDays == 0)
        let overridden = try NodeConfiguration.parse(
            yaml: complete + "\nretention_days: 7\n", file: "node.yaml", environment: ["PARLEY_RETENTION_DAYS": "90"])
        #expect(overridden.retentionDays == 90)
        #expect(throws: ModelFileError(
            file: "node.yaml", line: 10, message: "retention_days: '2.5' must be a whole number of days, 0 or more (0 keeps proposals for ever)")
        ) {
            _ = try NodeConfiguration.parse(yaml: complete + "\nretention_days: 2.5\n", file: "node.yaml")
        }
        #expect(throws: ModelFileError(
            file: "node.yaml", line: nil,
            message: "PARLEY_RETENTION_DAYS (environment): '-1' must be a whole number of days, 0 or more (0 keeps proposals for ever)")
        ) {
            _ = try NodeConfiguration.parse(yaml: complete, file: "node.yaml", environment: ["PARLEY_RETENTION_DAYS": "-1"])
        }
    }

    @Test func unknownKeyIsRefused() {
        #expect {
            _ = try NodeConfiguration.parse(yaml: complete + "\nlisten_port: 7\n", file: "node.yaml")
        } throws: { error in
            (error as? ModelFileError)?.message.hasPrefix("listen_port: unknown key") == true
        }
    }

    /// YAML reads `[` as the start of a list: an IPv6 endpoint works quoted, and unquoted the
    /// error says to quote it.
    @Test func anUnquotedIPv6EndpointIsToldToBeQuoted() throws {
        let quoted = complete.replacingOccurrences(of: "127.0.0.1:7401", with: "\"[::1]:7401\"")
        #expect(try NodeConfiguration.parse(yaml: quoted, file: "node.yaml").listen == "[::1]:7401")
        let bare = complete.replacingOccurrences(of: "127.0.0.1:7401", with: "[::1]:7401  # loopback")
        #expect(
            throws: ModelFileError(
                file: "node.yaml", line: 2,
                message: "YAML: did not find expected node content (an IPv6 endpoint must be quoted: \"[::1]:7401\")")
        ) {
            _ = try NodeConfiguration.parse(yaml: bare, file: "node.yaml")
        }
    }

    @Test func endpointsSplitWithIPv6() {
        #expect(NodeConfiguration.splitEndpoint("[::1]:7401")! == ("::1", 7401))
        #expect(NodeConfiguration.splitEndpoint("node-a.example:443")! == ("node-a.example", 443))
        #expect(NodeConfiguration.splitEndpoint("no-port") == nil)
    }
}
