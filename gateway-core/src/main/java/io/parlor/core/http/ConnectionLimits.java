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
 * exempt). At a cap the new client is let in and the oldest connection that is not being
 * answered is closed: an idle keep-alive connection or one trickling a request. Clients that
 * hold connections open (slowloris) thus cannot lock out the ones that come to be answered; the
 * request deadline ends the trickling ones anyway. Counted in
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
  private final Map<InetAddress, LinkedHashSet<Channel>> byClient = new HashMap<>();
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
    InetAddress client = client(ch);
    List<Channel> victims = new ArrayList<>(2);
    int clientVictims = 0;
    synchronized (this) {
      open.add(ch);
      if (client != null) {
        LinkedHashSet<Channel> mine = byClient.computeIfAbsent(client, k -> new LinkedHashSet<>());
        mine.add(ch);
        if (mine.size() > perClient && evictOldest(mine, ch, victims)) {
          clientVictims++;
        }
      }
      if (open.size() > max) {
        evictOldest(open, ch, victims);
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
  private boolean evictOldest(LinkedHashSet<Channel> among, Channel newcomer, List<Channel> victims) {
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

  // guarded by this
  private void forget(Channel ch) {
    if (!open.remove(ch)) {
      return;
    }
    InetAddress client = client(ch);
    if (client != null) {
      LinkedHashSet<Channel> mine = byClient.get(client);
      if (mine != null && mine.remove(ch) && mine.isEmpty()) {
        byClient.remove(client);
      }
    }
    if (atCap && open.size() < max * 9L / 10) {
      atCap = false;
      log.info("http: open connections back under 90 % of the cap ({})", max);
    }
  }

  /** The TCP peer's address, or null when it is exempt (a trusted reverse proxy) or unknown. */
  private InetAddress client(Channel ch) {
    if (!(ch.remoteAddress() instanceof InetSocketAddress inet) || inet.getAddress() == null) {
      return null;
    }
    InetAddress a = inet.getAddress();
    for (Cidr c : exempt) {
      if (c.contains(a)) {
        return null;
      }
    }
    return a;
  }
}
