package io.panamux.perf.bench;

/**
 * One target of the perf issue, checked against a figure of the run.
 *
 * @param name        short name.
 * @param description what is compared, in words.
 * @param scenario    the scenario the figure comes from.
 * @param figure      the JSON field of that scenario the value is read from.
 * @param value       the measured value (NaN when the scenario did not run).
 * @param unit        unit of value and target.
 * @param comparison  {@code >=} or {@code <=}.
 * @param target      the goal.
 * @param met         whether the value meets the goal.
 */
public record Goal(String name, String description, String scenario, String figure, double value, String unit, String comparison,
    double target, boolean met)
{
    /** @return a goal for {@code value}, met when {@code value comparison target}. */
    public static Goal of(final String name, final String description, final String scenario, final String figure, final double value,
        final String unit, final String comparison, final double target)
    {
        final boolean met = !Double.isNaN(value) && (comparison.equals(">=") ? value >= target : value <= target);
        return new Goal(name, description, scenario, figure, value, unit, comparison, target, met);
    }
}
