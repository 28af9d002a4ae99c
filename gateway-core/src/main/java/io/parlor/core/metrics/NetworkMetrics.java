package io.parlor.core.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.parlor.spi.AdapterMetrics;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The core's side of {@link AdapterMetrics} for one network: counters, timers and gauges in the
 * node's registry, tagged with the network. Names are checked (a constant of the adapter's code,
 * never data); meters are created once per name.
 */
public final class NetworkMetrics implements AdapterMetrics {
  private final MeterRegistry registry;
  private final String network;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();
  private final Map<String, AtomicReference<Supplier<Number>>> gauges = new ConcurrentHashMap<>();

  public NetworkMetrics(MeterRegistry registry, String network) {
    this.registry = registry;
    this.network = network;
  }

  @Override
  public void count(String event, long n) {
    counters.computeIfAbsent(AdapterMetrics.checked(event), e -> Counter.builder(MetricNames.ADAPTER_EVENTS)
        .description("what an adapter counted (its own event names, constants of its code)")
        .tag(MetricNames.TAG_NETWORK, network).tag("event", e).register(registry)).increment(n);
  }

  @Override
  public void time(String operation, Duration took) {
    timers.computeIfAbsent(AdapterMetrics.checked(operation), o -> Timer.builder(MetricNames.ADAPTER_OPERATION)
        .description("how long an adapter's operations with its network took")
        .tag(MetricNames.TAG_NETWORK, network).tag("operation", o).register(registry)).record(took);
  }

  @Override
  public void gauge(String stat, Supplier<Number> value) {
    AtomicReference<Supplier<Number>> ref = gauges.computeIfAbsent(AdapterMetrics.checked(stat), s -> {
      AtomicReference<Supplier<Number>> r = new AtomicReference<>();
      Gauge.builder(MetricNames.ADAPTER_STAT, r, x -> {
            Supplier<Number> sup = x.get();
            Number v = sup == null ? null : sup.get();
            return v == null ? Double.NaN : v.doubleValue();
          })
          .description("an adapter's own counters and gauges (e.g. SMPP window in use, throttling)")
          .strongReference(true)
          .tag(MetricNames.TAG_NETWORK, network).tag("stat", s).register(registry);
      return r;
    });
    ref.set(value);
  }
}
