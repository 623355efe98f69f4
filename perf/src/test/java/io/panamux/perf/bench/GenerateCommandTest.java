package io.panamux.perf.bench;

import java.util.List;

import io.panamux.perf.traffic.TrafficProfile;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GenerateCommandTest
{
    @Test
    void parsesVipTargets()
    {
        final List<TrafficProfile.Target> t = GenerateCommand.targets(List.of("192.0.2.10:80/tcp", "[2001:db8::10]:53/udp"));
        assertFalse(t.get(0).v6());
        assertEquals(0xC000_020A, t.get(0).v4());
        assertEquals(80, t.get(0).port());
        assertEquals(6, t.get(0).protocol());
        assertTrue(t.get(1).v6());
        assertEquals(0x2001_0DB8_0000_0000L, t.get(1).v6Hi());
        assertEquals(0x10, t.get(1).v6Lo());
        assertEquals(53, t.get(1).port());
        assertEquals(17, t.get(1).protocol());
        assertThrows(IllegalArgumentException.class, () -> GenerateCommand.targets(List.of("192.0.2.10/tcp")));
        assertThrows(IllegalArgumentException.class, () -> GenerateCommand.targets(List.of("192.0.2.10:80/sctp")));
    }

    @Test
    void histogramsSurviveTheirTextEncoding() throws Exception
    {
        final Histogram h = new Histogram(3);
        for (int i = 1; i <= 10_000; i++)
        {
            h.recordValue(1000L * i);
        }
        final Histogram back = GenerateCommand.decode(GenerateCommand.encode(h));
        assertEquals(h.getTotalCount(), back.getTotalCount());
        assertEquals(h.getValueAtPercentile(99.9), back.getValueAtPercentile(99.9));
        assertEquals(h.getMaxValue(), back.getMaxValue());
    }

    @Test
    void meanFrameIsTheMeanOfTheCycle()
    {
        assertEquals((64 * 7 + 594 * 4 + 1494) / 12.0, GenerateCommand.meanFrame(Scenario.IMIX.stream().mapToInt(Integer::intValue).toArray()),
            1e-9);
    }
}
