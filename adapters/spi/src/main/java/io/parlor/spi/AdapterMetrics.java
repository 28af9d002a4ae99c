package io.parlor.spi;

import java.time.Duration;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Where an adapter records what it does, so that it keeps no statistics of its own: the core
 * exports them tagged with the network ({@code parlor_adapter_events_total{network, event}},
 * {@code parlor_adapter_operation_seconds{network, operation}}, {@code parlor_adapter_stat{network,
 * stat}}). Given in {@link AdapterContext#metrics()}. Thread-safe; never blocks.
 *
 * <p>Names are constants of the adapter's code ({@code webhook_skipped_standby}, {@code
 * link_drops}): lowercase, {@link #NAME}. A name built from anything a network sent — an id, an
 * address, a body — is a privacy bug and a cardinality bug at once; a name that does not match is
 * refused with an {@link IllegalArgumentException}.
 */
public interface AdapterMetrics {
  /** What a name must match: 1-48 characters of lowercase letters, digits and underscores. */
  Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,47}");

  /** Counts {@code n} occurrences of {@code event}. */
  void count(String event, long n);

  /** Counts one occurrence of {@code event}. */
  default void count(String event) {
    count(event, 1);
  }

  /** Records how long one {@code operation} with the network took. */
  void time(String operation, Duration took);

  /**
   * Exports {@code value} as the gauge {@code stat}, read at every scrape (so it must be cheap and
   * not block). Registering a name again replaces what it reads.
   */
  void gauge(String stat, Supplier<Number> value);

  /** Throws unless {@code name} is a valid metric name. */
  static String checked(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("an adapter metric name must match " + NAME.pattern() + ": a constant, never data");
    }
    return name;
  }

  /** Metrics that go nowhere (names are still checked). */
  static AdapterMetrics none() {
    return new AdapterMetrics() {
      @Override
      public void count(String event, long n) {
        checked(event);
      }

      @Override
      public void time(String operation, Duration took) {
        checked(operation);
      }

      @Override
      public void gauge(String stat, Supplier<Number> value) {
        checked(stat);
      }
    };
  }
}
