package io.panamux.common.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

import org.yaml.snakeyaml.nodes.Node;

/**
 * The errors and warnings of one reading of a configuration, each {@code FILE:LINE: PATH: problem}, in line
 * order. Readers report here and carry on, so a file shows all its mistakes at once; nothing may be applied
 * while {@link #hasErrors()}.
 * <p>
 * A tree may be merged from two sources (a MUX's file and its pool's document, ARCHITECTURE.md §7): the
 * nodes that came from the document are named by the document's name and listed after the file's problems.
 */
public final class ConfigProblems
{
    /** Problems about the document sort after every problem of the file. */
    private static final int DOCUMENT_ORDER = 1 << 28;

    private record Problem(int order, String text)
    {
    }

    private final String fileName;
    private final Set<Node> documentNodes;
    private final String documentName;
    private final UnaryOperator<String> documentPath;
    private final Predicate<String> documentOwnsPath;
    private final List<Problem> errors = new ArrayList<>();
    private final List<Problem> warnings = new ArrayList<>();

    /**
     * @param fileName the name every problem gives, e.g. {@code mux.yaml}.
     */
    public ConfigProblems(final String fileName)
    {
        this(fileName, Set.of(), null, UnaryOperator.identity(), path -> false);
    }

    /**
     * Problems of a tree merged from a file and a document.
     *
     * @param fileName         the file's name.
     * @param documentNodes    the nodes that came from the document (compared by identity).
     * @param documentName     the name the document's problems give; null when there is no document.
     * @param documentPath     the document's name for a path of the merged tree (a key renamed in the merge).
     * @param documentOwnsPath whether a problem without a node (a missing key, a check across keys) at this
     *                         path is the document's.
     */
    public ConfigProblems(final String fileName, final Set<Node> documentNodes, final String documentName,
        final UnaryOperator<String> documentPath, final Predicate<String> documentOwnsPath)
    {
        this.fileName = fileName;
        final Set<Node> identity = Collections.newSetFromMap(new IdentityHashMap<>());
        identity.addAll(documentNodes);
        this.documentNodes = identity;
        this.documentName = documentName == null ? fileName : documentName;
        this.documentPath = documentPath;
        this.documentOwnsPath = documentName == null ? path -> false : documentOwnsPath;
    }

    /**
     * @param node a node the document gives to the merged tree (a key made for the merge).
     */
    public void addDocumentNode(final Node node)
    {
        documentNodes.add(node);
    }

    /**
     * @param node a node of the tree.
     * @return whether it came from the document.
     */
    public boolean fromDocument(final Node node)
    {
        return documentNodes.contains(node);
    }

    /** Reports an error at a node. */
    public void error(final Node node, final String path, final String problem)
    {
        errors.add(new Problem(order(node), format(node, path, problem)));
    }

    /** Reports a warning at a node. */
    public void warning(final Node node, final String path, final String problem)
    {
        warnings.add(new Problem(order(node), format(node, path, problem)));
    }

    /** Reports an error that has no node of its own (a missing key, a check across keys) at a line. */
    public void error(final int line, final String path, final String problem)
    {
        errors.add(new Problem(line, format(line, path, problem)));
    }

    /** Reports a warning that has no node of its own at a line. */
    public void warning(final int line, final String path, final String problem)
    {
        warnings.add(new Problem(line, format(line, path, problem)));
    }

    /** Reports an error about something the document lacks, at its line {@code line}, after the file's. */
    public void documentError(final int line, final String path, final String problem)
    {
        errors.add(new Problem(DOCUMENT_ORDER + line, format(documentName, line, path, problem)));
    }

    /** @return how many errors were reported so far (a reader compares it before and after a section). */
    public int errorCount()
    {
        return errors.size();
    }

    /** @return whether any error was reported. */
    public boolean hasErrors()
    {
        return !errors.isEmpty();
    }

    /** @return the errors, in line order (the file's first), each {@code FILE:LINE: PATH: problem}. */
    public List<String> errors()
    {
        return sorted(errors);
    }

    /** @return the warnings, in line order. */
    public List<String> warnings()
    {
        return sorted(warnings);
    }

    /**
     * @param node a node.
     * @return its line, counted from 1.
     */
    public static int line(final Node node)
    {
        return node.getStartMark().getLine() + 1;
    }

    private int order(final Node node)
    {
        return documentNodes.contains(node) ? DOCUMENT_ORDER + line(node) : line(node);
    }

    private String format(final Node node, final String path, final String problem)
    {
        if (documentNodes.contains(node))
        {
            return format(documentName, line(node), documentPath.apply(path), problem);
        }
        return format(fileName, line(node), path, problem);
    }

    private String format(final int line, final String path, final String problem)
    {
        return format(documentOwnsPath.test(path) ? documentName : fileName, line, path, problem);
    }

    private static String format(final String source, final int line, final String path, final String problem)
    {
        return source + ":" + line + ": " + (path.isEmpty() ? "" : path + ": ") + problem;
    }

    private static List<String> sorted(final List<Problem> problems)
    {
        // Stable: problems on one line keep the order they were found in.
        return problems.stream().sorted(Comparator.comparingInt(Problem::order)).map(Problem::text).toList();
    }
}
