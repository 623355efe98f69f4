package io.panamux.slowpath.store;

import java.io.StringReader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.panamux.slowpath.config.IpAddress;
import io.panamux.slowpath.config.MuxConfig;
import io.panamux.slowpath.config.VipConfig;
import io.panamux.slowpath.control.BackendChanges;
import io.panamux.slowpath.control.ChangeRejectedException;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One {@code ctl backend add/remove/drain/weight} applied to the text of a pool document: the document's YAML
 * tree is changed at the one backend and written out again, so everything else in it (the seed as written,
 * other VIPs, the order) stays as it was. The caller validates the result and stores it with a
 * compare-and-swap ({@link PoolConfigFollower#changeBackend}).
 */
public final class PoolDocumentEdit
{
    /** What a change does. */
    public enum Kind
    {
        /** Adds a backend with a weight. */
        ADD,
        /** Removes a backend. */
        REMOVE,
        /** Stops new flows to a backend ({@code drain: true}). */
        DRAIN,
        /** Sets a backend's weight and ends its draining. */
        WEIGHT;

        /**
         * @param name {@code add}, {@code remove}, {@code drain} or {@code weight}.
         * @return the kind.
         * @throws IllegalArgumentException for another name.
         */
        public static Kind of(final String name)
        {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    private PoolDocumentEdit()
    {
    }

    /**
     * Applies one change to a document.
     *
     * @param document the document's text (valid: {@code current} is what it gives merged).
     * @param current  the document merged with this MUX's file, to find the VIP and the backend by their keys.
     * @param kind     the change.
     * @param vipText  the VIP, {@code ADDRESS:PORT/PROTO}.
     * @param address  the backend's address.
     * @param weight   the weight for {@code ADD} and {@code WEIGHT}.
     * @return the changed document's text.
     * @throws ChangeRejectedException when the VIP or backend does not exist (or, for add, already does), or
     *                                 the arguments are not valid; the same refusals as a file-only MUX gives.
     */
    public static String apply(final String document, final MuxConfig current, final Kind kind, final String vipText, final String address,
        final int weight) throws ChangeRejectedException
    {
        final String key = BackendChanges.canonicalVipKey(vipText);
        final IpAddress backend;
        try
        {
            backend = IpAddress.parse(address);
        }
        catch (final IllegalArgumentException e)
        {
            throw new ChangeRejectedException(ChangeRejectedException.INVALID, "not an IP address: \"" + address + "\"");
        }
        if ((kind == Kind.ADD || kind == Kind.WEIGHT) && weight < 0)
        {
            throw new ChangeRejectedException(ChangeRejectedException.INVALID, "a weight is at least 0, got " + weight);
        }
        int vipIndex = -1;
        for (int i = 0; i < current.vips().size(); i++)
        {
            if (current.vips().get(i).key().equals(key))
            {
                vipIndex = i;
            }
        }
        if (vipIndex < 0)
        {
            throw new ChangeRejectedException(ChangeRejectedException.NOT_FOUND, "no VIP " + key + " in the pool document");
        }
        final VipConfig vip = current.vips().get(vipIndex);
        int backendIndex = -1;
        for (int i = 0; i < vip.backends().size(); i++)
        {
            if (vip.backends().get(i).address().equals(backend))
            {
                backendIndex = i;
            }
        }
        if (kind == Kind.ADD && backendIndex >= 0)
        {
            throw new ChangeRejectedException(ChangeRejectedException.CONFLICT, backend + " is already a backend of " + key +
                " (ctl backend weight changes its weight)");
        }
        if (kind != Kind.ADD && backendIndex < 0)
        {
            throw new ChangeRejectedException(ChangeRejectedException.NOT_FOUND, backend + " is not a backend of " + key);
        }

        final MappingNode root = (MappingNode)compose(document);
        final SequenceNode vips = (SequenceNode)value(root, "vips");
        final MappingNode vipNode = (MappingNode)vips.getValue().get(vipIndex);
        Node backendsNode = value(vipNode, "backends");
        if (!(backendsNode instanceof SequenceNode))
        {
            // "backends:" with nothing after it: an empty list.
            backendsNode = new SequenceNode(Tag.SEQ, new ArrayList<>(), DumperOptions.FlowStyle.BLOCK);
            put(vipNode, "backends", backendsNode);
        }
        final List<Node> backends = ((SequenceNode)backendsNode).getValue();
        switch (kind)
        {
            case ADD ->
            {
                final List<NodeTuple> entry = new ArrayList<>();
                entry.add(new NodeTuple(scalar(Tag.STR, "address"), scalar(Tag.STR, backend.toString())));
                entry.add(new NodeTuple(scalar(Tag.STR, "weight"), scalar(Tag.INT, Integer.toString(weight))));
                backends.add(new MappingNode(Tag.MAP, entry, DumperOptions.FlowStyle.FLOW));
            }
            case REMOVE -> backends.remove(backendIndex);
            case DRAIN -> put((MappingNode)backends.get(backendIndex), "drain", scalar(Tag.BOOL, "true"));
            case WEIGHT ->
            {
                final MappingNode b = (MappingNode)backends.get(backendIndex);
                put(b, "weight", scalar(Tag.INT, Integer.toString(weight)));
                b.getValue().removeIf(t -> t.getKeyNode() instanceof ScalarNode k && k.getValue().equals("drain"));
            }
            default -> throw new IllegalStateException(kind.toString());
        }
        final DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setWidth(160);
        final StringWriter out = new StringWriter();
        new Yaml(options).serialize(root, out);
        return out.toString();
    }

    private static Node compose(final String text)
    {
        final LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setProcessComments(false);
        return new Yaml(options).compose(new StringReader(text));
    }

    private static Node value(final MappingNode mapping, final String key)
    {
        for (final NodeTuple t : mapping.getValue())
        {
            if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key))
            {
                return t.getValueNode();
            }
        }
        return null;
    }

    private static void put(final MappingNode mapping, final String key, final Node value)
    {
        final List<NodeTuple> tuples = mapping.getValue();
        for (int i = 0; i < tuples.size(); i++)
        {
            if (tuples.get(i).getKeyNode() instanceof ScalarNode k && k.getValue().equals(key))
            {
                tuples.set(i, new NodeTuple(tuples.get(i).getKeyNode(), value));
                return;
            }
        }
        tuples.add(new NodeTuple(scalar(Tag.STR, key), value));
    }

    private static ScalarNode scalar(final Tag tag, final String value)
    {
        return new ScalarNode(tag, value, null, null, DumperOptions.ScalarStyle.PLAIN);
    }
}
