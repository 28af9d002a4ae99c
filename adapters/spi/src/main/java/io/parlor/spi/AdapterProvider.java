package io.parlor.spi;

import io.parlor.spi.config.ConfigView;

/**
 * Creates adapters of one network type. Discovered with {@link java.util.ServiceLoader}: list the
 * implementation in {@code META-INF/services/io.parlor.spi.AdapterProvider}.
 *
 * @param <C> the adapter's config record
 */
public interface AdapterProvider<C> {

  /** The {@code type} value in the network's config, e.g. {@code webhook}. */
  String type();

  /**
   * Reads and validates the network's config section. Every problem is reported to {@code view}
   * with its path; keys not read are reported as unknown by the caller. Does no I/O.
   *
   * @return the config, or null when problems were reported
   */
  C parseConfig(ConfigView view);

  /** An annotated example of this network's config section (YAML), for docs. */
  String exampleConfig();

  /** Creates the adapter. Does no I/O: connecting happens in {@link Adapter#start()}. */
  Adapter create(C config, AdapterContext context);
}
