package io.panamux.perf.bench;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;

import com.fasterxml.jackson.databind.JsonNode;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.NodeList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTML report is self-contained and well-formed, and its SVG plots draw what the figures say: bar
 * lengths in proportion to the values, one curve per forwarder and load, nothing undefined.
 */
class ReportRenderingTest
{
    private static final String SVG = "http://www.w3.org/2000/svg";

    @Test
    void theReportParsesAsXmlAndItsPlotsMatchTheFigures() throws Exception
    {
        final BenchReport report = report();
        final String html = HtmlReport.render(report, "bench.json");
        assertFalse(html.contains("<script"), "no script");
        assertFalse(html.contains("http://") && html.replace("http://www.w3.org/", "").contains("http://"), "nothing fetched");
        final Document doc = parse(html);

        final NodeList svgs = doc.getElementsByTagNameNS(SVG, "svg");
        assertEquals(3, svgs.getLength(), "throughput bars, memif bars, latency curves");

        final Element bars = (Element)svgs.item(0);
        final List<Element> testpmd = byClass(bars, "rect", "bar testpmd");
        final List<Element> java = byClass(bars, "rect", "bar java");
        assertEquals(2, testpmd.size());
        assertEquals(2, java.size());
        final List<ThroughputResult> t = report.scenarios().stream().filter(s -> s instanceof ThroughputResult).map(s -> (ThroughputResult)s)
            .toList();
        final double wT = Double.parseDouble(testpmd.get(0).getAttribute("width"));
        final double wJ = Double.parseDouble(java.get(0).getAttribute("width"));
        assertEquals(t.get(0).javaMpps() / t.get(0).testpmdMpps(), wJ / wT, 0.01, "bar lengths in proportion to the Mpps");
        assertEquals(0, Double.parseDouble(java.get(1).getAttribute("width")), "an unmeasured figure draws no bar");
        assertTrue(Double.parseDouble(testpmd.get(1).getAttribute("width")) > wT, "50 Mpps is longer than 40");
        assertTrue(bars.getTextContent().contains("ratio 50.0 %"));

        final Element curves = (Element)svgs.item(2);
        final List<Element> javaCurves = byClass(curves, "path", "curve java");
        final List<Element> testpmdCurves = byClass(curves, "path", "curve testpmd");
        assertEquals(2, javaCurves.size(), "one curve per load");
        assertEquals(2, testpmdCurves.size());
        for (final Element p : javaCurves)
        {
            final String d = p.getAttribute("d");
            assertEquals(17, d.split("[ML]").length - 1, "every percentile of the curve and the max: " + d);
        }
        assertTrue(testpmdCurves.getFirst().hasAttribute("stroke-dasharray"), "testpmd is dashed");
        assertNoUndefinedNumbers(doc.getDocumentElement());
        assertTrue(html.contains("How to read these figures"));
    }

    @Test
    void theJsonWritesUnmeasuredFiguresAsNull() throws Exception
    {
        final BenchReport report = report();
        final JsonNode json = ReportJson.mapper().readTree(ReportJson.mapper().writeValueAsString(report));
        final JsonNode stateless = json.get("scenarios").get(0);
        assertEquals("stateless", stateless.get("name").asText());
        assertTrue(stateless.get("rounds").get(0).get("java").get("gc_collections").isNumber());
        final JsonNode l2 = json.get("scenarios").get(1);
        assertTrue(l2.get("java_cycles_per_packet").isNull(), "NaN is written as null");
        assertEquals(0.5, json.get("headline").get("stateless_ratio").asDouble(), 1e-12);
        assertEquals("stateless ratio", json.get("goals").get(0).get("name").asText());
        assertTrue(json.get("goals").get(0).get("met").asBoolean());
    }

    private static BenchReport report() throws Exception
    {
        final List<ScenarioResult> scenarios = new ArrayList<>();
        scenarios.add(throughput("stateless", 40, 20, 65));
        scenarios.add(throughput("l2fwd", 50, Double.NaN, Double.NaN));
        scenarios.add(new MemifThroughputResult("imix", "IMIX", "MEMIF_THROUGHPUT", "memif", "what", Map.of(), List.of("dpdk-testpmd"), List.of(),
            8, 9, 30, 33, 8.0 / 9, "generator", new double[] {0.1, 0.2}, List.of()));
        final List<LatencyPoint> java = new ArrayList<>();
        final List<LatencyPoint> testpmd = new ArrayList<>();
        for (final double f : new double[] {0, 0.5, 0.9})
        {
            java.add(point(f, 3000));
            testpmd.add(point(f, 2000));
        }
        scenarios.add(new LatencyResult("latency", "latency", "MEMIF_LATENCY", "memif", "what", Map.of(), List.of("dpdk-testpmd"), List.of(), 8,
            9, java, testpmd, 0, new double[] {0.1, 0.2}, List.of("a note with <angle> & ampersand")));
        final BenchSettings settings = new BenchSettings(true, 1, 2, 1, 1, 1, List.of(), List.of(), false);
        final Map<String, Object> env = Map.of("cpu_model", "test CPU", "cpus_online", 2, "dpdk_version", "DPDK 22.11.11", "jdk",
            Map.of("version", "25"));
        return new BenchReport(BenchReport.SCHEMA, "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z", 60, List.of("--quick"), settings, env,
            scenarios, BenchReport.headline(scenarios), BenchReport.goals(scenarios), List.of());
    }

    private static ThroughputResult throughput(final String name, final double testpmdMpps, final double javaMpps, final double javaCycles)
    {
        final LoopWindow t = new LoopWindow("testpmd", 1, 40_000_000, 2_600_000_000L, 40_000_000, 65, testpmdMpps, testpmdMpps, 0, -1, 1);
        final LoopWindow j = new LoopWindow("java", 1, 10_000_000, 1_300_000_000L, 10_000_000, javaCycles, javaMpps, javaMpps / 2, 0, 0, 1);
        final RoundResult r = new RoundResult(1, t, j, javaMpps / testpmdMpps);
        return new ThroughputResult(name, name, "PIPELINE", "net_null", "what", Map.of("workers", 1), List.of("dpdk-testpmd"), 2.6e9, Map.of(),
            List.of(r), 65, testpmdMpps, testpmdMpps, javaCycles, javaMpps, javaMpps / 2, javaMpps / testpmdMpps, Map.of("rx_packets", 1L), 0,
            new double[] {0.1, 0.2}, List.of());
    }

    private static LatencyPoint point(final double fraction, final long scaleNs)
    {
        final Histogram h = new Histogram(3);
        for (int i = 1; i <= 100_000; i++)
        {
            h.recordValue(scaleNs + i % 1000 * 10L);
        }
        return new LatencyPoint(fraction, (long)(fraction * 1e6), 1, 100_000, 100_000, 0, 0.1, Percentiles.of(h), fraction > 0 ? 0 : -1, 0,
            2.5, GenerateCommand.encode(h));
    }

    static Document parse(final String xml) throws Exception
    {
        final DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        final DocumentBuilder b = f.newDocumentBuilder();
        return b.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    static List<Element> byClass(final Element root, final String tag, final String cls)
    {
        final List<Element> out = new ArrayList<>();
        final NodeList all = root.getElementsByTagNameNS(SVG, tag);
        for (int i = 0; i < all.getLength(); i++)
        {
            final Element e = (Element)all.item(i);
            if (e.getAttribute("class").equals(cls))
            {
                out.add(e);
            }
        }
        return out;
    }

    static void assertNoUndefinedNumbers(final Element root)
    {
        final NodeList all = root.getElementsByTagName("*");
        for (int i = 0; i < all.getLength(); i++)
        {
            final NamedNodeMap attributes = all.item(i).getAttributes();
            for (int a = 0; a < attributes.getLength(); a++)
            {
                final String v = attributes.item(a).getNodeValue();
                assertFalse(v.contains("NaN") || v.contains("Infinity"), all.item(i).getNodeName() + " " + attributes.item(a));
            }
        }
    }
}
