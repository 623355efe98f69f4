package io.panamux.perf.bench;

import java.io.IOException;
import java.nio.file.Path;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;

/**
 * Writes a {@link BenchReport} as JSON: field names in snake_case, numbers unrounded (ratios can be
 * recomputed from the figures next to them), NaN (a figure that could not be measured) as null.
 */
public final class ReportJson
{
    private ReportJson()
    {
    }

    /** @return the mapper the report is written with. */
    public static ObjectMapper mapper()
    {
        final SimpleModule nanAsNull = new SimpleModule("nan-as-null");
        final JsonSerializer<Double> doubles = new JsonSerializer<>()
        {
            @Override
            public void serialize(final Double value, final JsonGenerator gen, final SerializerProvider serializers) throws IOException
            {
                if (value == null || value.isNaN() || value.isInfinite())
                {
                    gen.writeNull();
                }
                else
                {
                    gen.writeNumber(value);
                }
            }
        };
        nanAsNull.addSerializer(Double.class, doubles);
        nanAsNull.addSerializer(double.class, doubles);
        final ObjectMapper m = new ObjectMapper();
        m.registerModule(nanAsNull);
        m.setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
        m.enable(SerializationFeature.INDENT_OUTPUT);
        return m;
    }

    /** Writes {@code report} to {@code file}. */
    public static void write(final BenchReport report, final Path file) throws IOException
    {
        mapper().writeValue(file.toFile(), report);
    }
}
