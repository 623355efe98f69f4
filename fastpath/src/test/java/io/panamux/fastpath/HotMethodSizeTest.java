package io.panamux.fastpath;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.panamux.fastpath.encap.TunnelEncapsulator;
import io.panamux.fastpath.packet.PacketParser;
import io.panamux.fastpath.snapshot.VipTable;
import io.panamux.flow.FlowHash;
import io.panamux.flow.FlowTable;
import io.panamux.flow.MaglevTable;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The methods the worker calls for every packet stay small enough for C2 to compile them into its loop.
 * C2 does not inline a hot callee of more than {@code FreqInlineSize} bytes of bytecode (325 on x86-64), and
 * a call it does not inline costs the worker every live register spilled and reloaded around it, per packet
 * (issue 14 measured ~17 cycles a packet for {@code parseIpv4}, {@code encapsulate} and
 * {@code chooseBackend}, then 424, 540 and 947 bytes). Each of them keeps the common packet and moves the
 * rare paths into methods of their own; this test fails when one grows back past the limit, reading the
 * code length from the class files with the JDK's ClassFile API and the limit from the running JVM.
 */
class HotMethodSizeTest
{
    /** Owner class, method name: called per packet (or per flow-table probe) on the worker's steady path. */
    private static final Object[][] HOT = {
        {PacketParser.class, "parse"},
        {PacketParser.class, "parseIpv4"},
        {PacketParser.class, "parseTcp"},
        {PacketParser.class, "parseUdp"},
        {TunnelEncapsulator.class, "encapsulate"},
        {WorkerAgent.class, "chooseBackend"},
        {WorkerAgent.class, "knownFlow"},
        {WorkerAgent.class, "findVip"},
        {WorkerAgent.class, "flowHash"},
        {WorkerAgent.class, "placement"},
        {WorkerAgent.class, "reject"},
        {WorkerAgent.class, "askForBuckets"},
        {WorkerAgent.class, "probeBurst"},
        {TxBuffer.class, "add"},
        {TxBuffer.class, "put"},
        {VipTable.class, "findV4"},
        {FlowHash.class, "hashV4"},
        {MaglevTable.class, "lookup"},
        {FlowTable.class, "findV4"},
        {FlowTable.class, "locateV4"},
        {FlowTable.class, "locateV4In"},
        {FlowTable.class, "hit"},
        {FlowTable.class, "findAtV4"},
        {FlowTable.class, "placementHashV4"},
        {FlowTable.class, "bucketAddress"},
        {FlowTable.class, "secondBucketAddress"},
    };

    @Test
    void hotMethodsFitTheInliningLimit() throws IOException
    {
        final int limit = Integer.parseInt(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
            .getVMOption("FreqInlineSize").getValue());
        final List<String> tooBig = new ArrayList<>();
        for (final Object[] hot : HOT)
        {
            final Class<?> owner = (Class<?>)hot[0];
            final String name = (String)hot[1];
            final List<Integer> sizes = codeLengths(owner, name);
            assertTrue(!sizes.isEmpty(), owner.getSimpleName() + "." + name + " not found: update this test's list");
            for (final int size : sizes)
            {
                if (size > limit)
                {
                    tooBig.add(owner.getSimpleName() + "." + name + " (" + size + " bytes)");
                }
            }
        }
        assertEquals(List.of(), tooBig, "hot methods over FreqInlineSize " + limit +
            ": move their rare paths into methods of their own so that C2 inlines the common one");
    }

    @Test
    void readsTheCodeLengthOfAMethodThatIsKnownToBeLarge() throws IOException
    {
        // The rare path kept out of line is large on purpose: proves that the sizes read are real ones.
        final List<Integer> sizes = codeLengths(TunnelEncapsulator.class, "encapsulateCompletely");
        assertEquals(1, sizes.size());
        assertTrue(sizes.get(0) > 325, "encapsulateCompletely: " + sizes);
    }

    /** The bytecode length of every method of {@code owner} called {@code name} (overloads included). */
    private static List<Integer> codeLengths(final Class<?> owner, final String name) throws IOException
    {
        final byte[] bytes;
        try (InputStream in = owner.getResourceAsStream(owner.getSimpleName() + ".class"))
        {
            bytes = in.readAllBytes();
        }
        final ClassModel model = ClassFile.of().parse(bytes);
        final List<Integer> sizes = new ArrayList<>();
        for (final MethodModel method : model.methods())
        {
            if (method.methodName().equalsString(name))
            {
                method.findAttribute(Attributes.code())
                    .ifPresent(code -> sizes.add(code.codeLength()));
            }
        }
        return sizes;
    }
}
