package io.panamux.slowpath.config;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The {@code dataplane.gateway} key (required when {@code gateway-mac} is absent) and the per-VIP
 * {@code health-check} section: values, defaults and FILE:LINE errors.
 */
class HealthCheckAndGatewayConfigTest
{
    private static final String HEAD = """
        mux:
          name: mux-a
          address: 10.0.0.10
        dataplane:
          eal: []
          port: 0
          workers: 1
          flow-table: { capacity: 1024, idle-timeout-seconds: 300 }
        """;
    //  1 mux:
    //  2   name: mux-a
    //  3   address: 10.0.0.10
    //  4 dataplane:
    //  5   eal: []
    //  6   port: 0
    //  7   workers: 1
    //  8   flow-table: { capacity: 1024, idle-timeout-seconds: 300 }

    private static String vip(final String healthCheck)
    {
        return """
            vips:
              - address: 192.0.2.10
                port: 80
                protocol: tcp
                backends: [{ address: 10.1.0.1 }]
            """ + healthCheck;
    }

    private static ConfigException error(final String yaml)
    {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "mux.yaml"));
    }

    @Test
    void gatewayIsRequiredWithoutGatewayMac()
    {
        final ConfigException ex = error(HEAD);

        assertEquals(List.of("mux.yaml:4: dataplane: missing required key \"gateway\" (without gateway-mac, the MUX resolves the " +
            "next hop's MAC by ARP and needs its IPv4 address)"), ex.errors());
    }

    @Test
    void gatewayIsParsedAndOptionalWithGatewayMac()
    {
        final MuxConfig withGateway = ConfigLoader.parse(HEAD + "  gateway: 10.0.0.1\n", "mux.yaml");
        final MuxConfig withMac = ConfigLoader.parse(HEAD + "  gateway-mac: \"02:00:00:00:00:fe\"\n", "mux.yaml");

        assertEquals(Optional.of(IpAddress.parse("10.0.0.1")), withGateway.dataplane().gateway());
        assertEquals(Optional.empty(), withMac.dataplane().gateway());
    }

    @Test
    void gatewayMustBeIpv4()
    {
        final ConfigException ex = error(HEAD + "  gateway: \"2001:db8::1\"\n");

        assertEquals(List.of("mux.yaml:9: dataplane.gateway: must be an IPv4 address, got \"2001:db8::1\""), ex.errors());
    }

    @Test
    void noHealthCheckMeansNone()
    {
        final MuxConfig config = ConfigLoader.parse(HEAD + "  gateway: 10.0.0.1\n" + vip(""), "mux.yaml");

        assertEquals(Optional.empty(), config.vips().get(0).healthCheck());
    }

    @Test
    void tcpCheckDefaultsToTheVipPort()
    {
        final MuxConfig config = ConfigLoader.parse(HEAD + "  gateway: 10.0.0.1\n" + vip("    health-check: { type: tcp }\n"), "mux.yaml");

        assertEquals(Optional.of(new HealthCheckConfig(HealthCheckType.TCP, 80, "/", 200, 2000, 1000, 2, 3, 3000)),
            config.vips().get(0).healthCheck());
    }

    @Test
    void httpCheckWithEverySetting()
    {
        final MuxConfig config = ConfigLoader.parse(HEAD + "  gateway: 10.0.0.1\n" + vip("""
                health-check:
                  type: http
                  port: 8080
                  path: /healthz
                  expect-status: 204
                  interval-ms: 500
                  timeout-ms: 250
                  rise: 1
                  fall: 5
                  hold-down-ms: 1500
            """), "mux.yaml");

        assertEquals(Optional.of(new HealthCheckConfig(HealthCheckType.HTTP, 8080, "/healthz", 204, 500, 250, 1, 5, 1500)),
            config.vips().get(0).healthCheck());
        assertEquals(List.of(), config.warnings().stream().filter(w -> !w.contains("Maglev")).toList());
    }

    @Test
    void shortIntervalCapsTheDefaultTimeout()
    {
        final MuxConfig config = ConfigLoader.parse(HEAD + "  gateway: 10.0.0.1\n" +
            vip("    health-check: { type: tcp, interval-ms: 300 }\n"), "mux.yaml");

        assertEquals(300, config.vips().get(0).healthCheck().orElseThrow().timeoutMs());
    }

    @Test
    void throughTunnelIsParsedAndOffByDefault()
    {
        final String base = HEAD + "  gateway: 10.0.0.1\n";
        assertEquals(Optional.of(new HealthCheckConfig(HealthCheckType.TCP, 8080, "/", 200, 2000, 1000, 2, 3, 3000, true)),
            ConfigLoader.parse(base + vip("    health-check: { type: tcp, port: 8080, through-tunnel: true }\n"), "mux.yaml")
                .vips().get(0).healthCheck());
        assertEquals(false, ConfigLoader.parse(base + vip("    health-check: { type: tcp, through-tunnel: false }\n"), "mux.yaml")
            .vips().get(0).healthCheck().orElseThrow().throughTunnel());
        assertEquals(false, ConfigLoader.parse(base + vip("    health-check: { type: tcp }\n"), "mux.yaml")
            .vips().get(0).healthCheck().orElseThrow().throughTunnel());
        assertEquals(List.of("mux.yaml:15: vips[0].health-check.through-tunnel: must be one of true, false, got \"yes\""),
            error(base + vip("    health-check: { type: tcp, through-tunnel: yes }\n")).errors());
        assertEquals(true, ConfigLoader.parse(base + vip("    health-check: { type: http, path: /id, through-tunnel: true }\n"), "mux.yaml")
            .vips().get(0).healthCheck().orElseThrow().throughTunnel());
    }

    @Test
    void badHealthChecksNameLineAndKey()
    {
        final String base = HEAD + "  gateway: 10.0.0.1\n";
        // The health-check section starts on line 15 of these files.
        assertEquals(List.of("mux.yaml:15: vips[0].health-check: missing required key \"type\""),
            error(base + vip("    health-check: { port: 80 }\n")).errors());
        assertEquals(List.of("mux.yaml:15: vips[0].health-check.type: must be one of tcp, http, got \"icmp\""),
            error(base + vip("    health-check: { type: icmp }\n")).errors());
        assertEquals(List.of("mux.yaml:15: vips[0].health-check.hold-down-ms: must be an integer between 0 and 3600000, got \"-1\""),
            error(base + vip("    health-check: { type: tcp, hold-down-ms: -1 }\n")).errors());
        assertEquals(List.of("mux.yaml:15: vips[0].health-check.timeout-ms: must be at most interval-ms (1000): a check must end " +
            "before the next one starts, got \"2000\""),
            error(base + vip("    health-check: { type: tcp, interval-ms: 1000, timeout-ms: 2000 }\n")).errors());
        assertEquals(List.of("mux.yaml:15: vips[0].health-check.path: must start with \"/\", got \"healthz\""),
            error(base + vip("    health-check: { type: http, path: healthz }\n")).errors());
        assertEquals(List.of("mux.yaml:15: vips[0].health-check.fall: must be an integer between 1 and 100, got \"0\""),
            error(base + vip("    health-check: { type: tcp, fall: 0 }\n")).errors());
        assertEquals(List.of("mux.yaml:15: vips[0].health-check: unknown key \"intervall-ms\" (did you mean \"interval-ms\"?)"),
            error(base + vip("    health-check: { type: tcp, intervall-ms: 10 }\n")).errors());
    }

    @Test
    void httpSettingsOnATcpCheckWarn()
    {
        final MuxConfig config = ConfigLoader.parse(HEAD + "  gateway: 10.0.0.1\n" +
            vip("    health-check: { type: tcp, path: /x }\n"), "mux.yaml");

        assertEquals(List.of("mux.yaml:15: vips[0].health-check.path: used only with type http; this check is tcp"),
            config.warnings().stream().filter(w -> !w.contains("Maglev")).toList());
    }
}
