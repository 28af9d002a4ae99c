package io.parlor.tck;

import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;

/**
 * The kit run against the reference adapter, with the defect {@link #defect} names. Not a test
 * itself (its name says so to Surefire): {@link KitCatchesBrokenAdaptersIT} runs it.
 */
public class MemoryAdapterKit extends AdapterConformanceKit {
  static volatile MemoryAdapter.Defect defect = MemoryAdapter.Defect.NONE;

  @Override
  protected NetworkFake startNetwork() {
    return new MemoryNetwork();
  }

  @Override
  protected Adapter createAdapter(NetworkFake network, AdapterContext context) {
    return new MemoryAdapter((MemoryNetwork) network, context, defect);
  }
}
