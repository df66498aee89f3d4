package io.csfl.node;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Parses durations as people write them: {@code 500ms}, {@code 60s}, {@code 2m}, {@code 1h}. */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
  private static final Pattern FORM = Pattern.compile("(\\d+)(ms|s|m|h)");
  static final Duration MAX = Duration.ofDays(200);

  @Override
  public Duration convert(String value) {
    Matcher m = FORM.matcher(value.trim());
    if (!m.matches()) {
      throw new CommandLine.TypeConversionException("'" + value + "' is not a duration such as 500ms, 60s, 2m or 1h");
    }
    Duration d;
    try {
      long n = Long.parseLong(m.group(1));
      d = switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      };
    } catch (ArithmeticException | NumberFormatException e) {
      throw new CommandLine.TypeConversionException("'" + value + "' is longer than any deadline a run can use");
    }
    // Akka schedules with millisecond ticks, up to about 248 days.
    if (d.compareTo(MAX) > 0) {
      throw new CommandLine.TypeConversionException("'" + value + "' is longer than " + MAX.toDays() + " days");
    }
    if (d.isZero()) {
      throw new CommandLine.TypeConversionException("duration must be positive, got " + value);
    }
    return d;
  }
}
