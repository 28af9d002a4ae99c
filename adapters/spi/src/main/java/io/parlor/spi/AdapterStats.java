package io.parlor.spi;

import java.util.Map;

/**
 * Optional adapter feature: the adapter's own counters and gauges, which the core exports as
 * metrics ({@code parlor_adapter_stat{network, stat}}). Obtained with {@link Adapter#feature(Class)}.
 * Names are low-cardinality constants ({@code in_flight}, {@code throttled}, ...), values carry no
 * identifiers. Thread-safe; called at every metrics scrape, so it must be cheap and not block.
 *
 * @deprecated register gauges with {@link AdapterContext#metrics()} ({@link AdapterMetrics#gauge});
 *     the core still exports this feature for adapters written before it
 */
@Incubating
@Deprecated
public interface AdapterStats {
  /** The current values by stat name. */
  Map<String, Number> values();
}
