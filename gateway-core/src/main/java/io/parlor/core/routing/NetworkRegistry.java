package io.parlor.core.routing;

import io.parlor.spi.envelope.NetworkId;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The configured networks. Immutable after construction; thread-safe. */
public final class NetworkRegistry {
  private final Map<NetworkId, Network> networks;

  public NetworkRegistry(Collection<Network> networks) {
    Map<NetworkId, Network> m = new LinkedHashMap<>();
    for (Network n : networks) {
      m.put(n.id(), n);
    }
    this.networks = Map.copyOf(m);
  }

  public Optional<Network> get(NetworkId id) {
    return Optional.ofNullable(networks.get(id));
  }

  public Collection<Network> all() {
    return networks.values();
  }
}
