package io.panamux.common.config;

import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.reader.ReaderException;

/**
 * Turns configuration text into SnakeYAML's node tree, never into objects: every value keeps its line and no
 * YAML tag can instantiate anything. What cannot be composed is one {@code FILE:LINE: problem}, thrown as an
 * {@link IllegalArgumentException} without SnakeYAML's exception as its cause.
 */
public final class YamlText
{
    private YamlText()
    {
    }

    /**
     * @param bytes    the file's bytes.
     * @param fileName the name the problem gives.
     * @return the text, without a byte order mark.
     * @throws IllegalArgumentException {@code FILE:LINE: not UTF-8 text (byte N)}.
     */
    public static String decodeUtf8(final byte[] bytes, final String fileName)
    {
        final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
        final ByteBuffer in = ByteBuffer.wrap(bytes);
        final CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError())
        {
            result = decoder.flush(out);
        }
        if (result.isError())
        {
            int line = 1;
            for (int i = 0; i < in.position(); i++)
            {
                if (bytes[i] == '\n')
                {
                    line++;
                }
            }
            throw new IllegalArgumentException(fileName + ":" + line + ": not UTF-8 text (byte " + in.position() + ")");
        }
        return stripBom(out.flip().toString());
    }

    /**
     * @param text YAML text.
     * @return it without a leading byte order mark (not content; SnakeYAML skips it only when it decodes bytes).
     */
    public static String stripBom(final String text)
    {
        return !text.isEmpty() && text.charAt(0) == '\uFEFF' ? text.substring(1) : text;
    }

    /**
     * Composes one YAML document: duplicate keys, recursive keys and merge on compose refused.
     *
     * @param text     the text (a byte order mark is skipped).
     * @param fileName the name a problem gives.
     * @return the root node; null when the text holds no document.
     * @throws IllegalArgumentException {@code FILE:LINE: YAML syntax error: ...} or {@code FILE:1: cannot read YAML: ...}.
     */
    public static Node compose(final String text, final String fileName)
    {
        final String yaml = stripBom(text);
        final LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setAllowRecursiveKeys(false);
        options.setProcessComments(false);
        options.setMergeOnCompose(false);
        try
        {
            return new Yaml(options).compose(new StringReader(yaml));
        }
        catch (final MarkedYAMLException ex)
        {
            final Mark mark = ex.getProblemMark() != null ? ex.getProblemMark() : ex.getContextMark();
            final int line = mark != null ? mark.getLine() + 1 : 1;
            throw new IllegalArgumentException(fileName + ":" + line + ": YAML syntax error: " + syntaxProblem(ex, line));
        }
        catch (final ReaderException ex)
        {
            throw new IllegalArgumentException(fileName + ":" + lineOfCodePoint(yaml, ex.getPosition()) +
                ": YAML syntax error: character U+" + String.format("%04X", ex.getCodePoint()) + " is not allowed");
        }
        catch (final RuntimeException ex)
        {
            // Limits (size, nesting, aliases) and anything else SnakeYAML may throw without a position.
            throw new IllegalArgumentException(fileName + ":1: cannot read YAML: " + ex.getMessage());
        }
    }

    private static String syntaxProblem(final MarkedYAMLException ex, final int line)
    {
        final String problem = ex.getProblem() != null ? ex.getProblem().strip() : "cannot parse";
        final String context = ex.getContext() != null ? ex.getContext().strip() : null;
        if (context == null)
        {
            return problem;
        }
        // SnakeYAML splits some messages in two: "expected a single document" + "but found another document".
        if (problem.startsWith("but "))
        {
            return context + ", " + problem;
        }
        // The context helps only when it points elsewhere ("while parsing a block mapping at line 1").
        final Mark contextMark = ex.getContextMark();
        if (contextMark != null && contextMark.getLine() + 1 != line)
        {
            return problem + " (" + context + " at line " + (contextMark.getLine() + 1) + ")";
        }
        return problem;
    }

    private static int lineOfCodePoint(final String text, final int codePointIndex)
    {
        int line = 1;
        int index = 0;
        for (int i = 0; i < codePointIndex && index < text.length(); i++)
        {
            final int codePoint = text.codePointAt(index);
            if (codePoint == '\n')
            {
                line++;
            }
            index += Character.charCount(codePoint);
        }
        return line;
    }
}
