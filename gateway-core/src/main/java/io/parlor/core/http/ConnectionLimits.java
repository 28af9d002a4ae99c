package io.parlor.core.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.parlor.core.media.Cidr;
import io.parlor.core.metrics.MetricNames;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps open connections, for the node ({@code http.maxConnections}) and per client address
 * ({@code http.maxConnectionsPerClient}; reverse proxies in {@code http.trustedProxies} are
 * exempt). At a cap the new client is let in and another connection that is not being answered
 * is closed — an idle keep-alive connection or one trickling a request: at the per-address cap
 * the oldest of that address; at the node's cap the oldest of the address holding the most
 * connections. Clients that hold connections open (slowloris) thus cannot lock out the ones that
 * come to be answered, however fast they reconnect: they evict each other, never a client with
 * fewer connections than they have. The request deadline ends the trickling ones anyway. Counted in
 * {@code parlor_http_connections_evicted_total{limit}}; one WARN when the node reaches its cap and
 * one INFO when it is back under 90 % of it (no address is ever logged). Thread-safe; one instance
 * is shared by every connection.
 */
@ChannelHandler.Sharable
final class ConnectionLimits extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ConnectionLimits.class);

  private final int max;
  private final int perClient;
  private final List<Cidr> exempt;
  private final Counter evictedNode;
  private final Counter evictedClient;
  // guarded by this
  private final LinkedHashSet<Channel> open = new LinkedHashSet<>();
  /** Every connection by client address (trusted proxies' too, for the node cap's choice). */
  private final Map<InetAddress, LinkedHashSet<Channel>> byClient = new HashMap<>();
  /** Addresses by how many connections they hold: the node cap takes from the largest. */
  private final java.util.TreeMap<Integer, LinkedHashSet<InetAddress>> bySize = new java.util.TreeMap<>();
  private boolean atCap;

  ConnectionLimits(int max, int perClient, List<Cidr> exempt, MeterRegistry meters) {
    this.max = max;
    this.perClient = perClient;
    this.exempt = List.copyOf(exempt);
    this.evictedNode = evicted(meters, "node");
    this.evictedClient = evicted(meters, "client");
    Gauge.builder(MetricNames.HTTP_CONNECTIONS_OPEN, this, ConnectionLimits::openCount)
        .description("open client connections")
        .register(meters);
  }

  private static Counter evicted(MeterRegistry meters, String limit) {
    return Counter.builder(MetricNames.HTTP_CONNECTIONS_EVICTED)
        .description("connections closed to let a new client in at a cap (http.maxConnections, per client)")
        .tag("limit", limit)
        .register(meters);
  }

  synchronized int openCount() {
    return open.size();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    Channel ch = ctx.channel();
    InetAddress client = address(ch);
    List<Channel> victims = new ArrayList<>(2);
    int clientVictims = 0;
    synchronized (this) {
      open.add(ch);
      if (client != null) {
        LinkedHashSet<Channel> mine = byClient.computeIfAbsent(client, k -> new LinkedHashSet<>());
        resized(client, mine.size(), mine.size() + 1);
        mine.add(ch);
        if (mine.size() > perClient && !exempt(client) && evictOldest(mine, ch, victims)) {
          clientVictims++;
        }
      }
      if (open.size() > max) {
        evictOldest(largest(ch), ch, victims);
      }
      if (!atCap && open.size() >= max) {
        atCap = true;
        log.warn("http: {} open connections, the cap (http.maxConnections): the oldest idle or stalled ones"
            + " are closed to let new clients in", max);
      }
    }
    for (int i = 0; i < victims.size(); i++) {
      (i < clientVictims ? evictedClient : evictedNode).increment();
      victims.get(i).close();
    }
    super.channelActive(ctx);
  }

  /**
   * Picks the oldest connection of {@code among} not being answered (else the new one itself:
   * every other is busy) and forgets it at once, so that it is not picked twice.
   */
  private boolean evictOldest(java.util.Collection<Channel> among, Channel newcomer, List<Channel> victims) {
    Channel victim = newcomer;
    for (Iterator<Channel> it = among.iterator(); it.hasNext(); ) {
      Channel c = it.next();
      if (c != newcomer && !RequestHandler.busy(c)) {
        victim = c;
        break;
      }
    }
    forget(victim);
    victims.add(victim);
    return true;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    synchronized (this) {
      forget(ctx.channel());
    }
    super.channelInactive(ctx);
  }

  /** The connections of the address holding the most (all open ones when addresses are unknown). */
  // guarded by this
  private java.util.Collection<Channel> largest(Channel newcomer) {
    java.util.Map.Entry<Integer, LinkedHashSet<InetAddress>> top = bySize.lastEntry();
    if (top == null) {
      return open;
    }
    LinkedHashSet<Channel> theirs = byClient.get(top.getValue().iterator().next());
    // only the newcomer there (every address holds one): take from all, oldest first
    return theirs == null || (theirs.size() == 1 && theirs.contains(newcomer)) ? open : theirs;
  }

  // guarded by this
  private void resized(InetAddress client, int from, int to) {
    if (from > 0) {
      LinkedHashSet<InetAddress> s = bySize.get(from);
      if (s != null && s.remove(client) && s.isEmpty()) {
        bySize.remove(from);
      }
    }
    if (to > 0) {
      bySize.computeIfAbsent(to, k -> new LinkedHashSet<>()).add(client);
    }
  }

  // guarded by this
  private void forget(Channel ch) {
    if (!open.remove(ch)) {
      return;
    }
    InetAddress client = address(ch);
    if (client != null) {
      LinkedHashSet<Channel> mine = byClient.get(client);
      if (mine != null && mine.remove(ch)) {
        resized(client, mine.size() + 1, mine.size());
        if (mine.isEmpty()) {
          byClient.remove(client);
        }
      }
    }
    if (atCap && open.size() < max * 9L / 10) {
      atCap = false;
      log.info("http: open connections back under 90 % of the cap ({})", max);
    }
  }

  /** The TCP peer's address, or null when unknown. */
  private static InetAddress address(Channel ch) {
    return ch.remoteAddress() instanceof InetSocketAddress inet ? inet.getAddress() : null;
  }

  /** A trusted reverse proxy: its connections are many clients', no per-address cap applies. */
  private boolean exempt(InetAddress a) {
    for (Cidr c : exempt) {
      if (c.contains(a)) {
        return true;
      }
    }
    return false;
  }
}
