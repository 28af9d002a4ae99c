package io.parlor.core.metrics;

/**
 * Metric names and tag keys of the core, in one place. Tags stay low-cardinality: network ids,
 * outcomes and states only, never people's identifiers.
 */
public final class MetricNames {
  private MetricNames() {}

  public static final String MESSAGES_RECEIVED = "parlor.messages.received";
  public static final String DELIVERIES = "parlor.deliveries";
  public static final String DELIVERY_ATTEMPTS = "parlor.delivery.attempts";
  public static final String DELIVERY_LATENCY = "parlor.delivery.latency";
  public static final String STATUS_REPORTS = "parlor.status.reports";
  public static final String QUEUE_DEPTH = "parlor.queue.depth";
  /** Queued messages held in memory; the rest of the queue waits in the store. */
  public static final String QUEUE_HELD = "parlor.queue.held";
  public static final String ADAPTER_HEALTH = "parlor.adapter.health";
  public static final String STORE_COMMIT_BATCH = "parlor.store.commit.batch";
  /** How long one group commit takes (units of work and COMMIT). */
  public static final String STORE_COMMIT = "parlor.store.commit";
  public static final String HTTP_REQUESTS = "parlor.http.requests";
  /** Open client connections (gauge). */
  public static final String HTTP_CONNECTIONS_OPEN = "parlor.http.connections.open";
  /** Connections closed to make room at a cap, tagged {@code limit}: {@code node} or {@code client}. */
  public static final String HTTP_CONNECTIONS_EVICTED = "parlor.http.connections.evicted";
  /** Requests not received whole within their deadline or read timeout (408). */
  public static final String HTTP_REQUESTS_TIMED_OUT = "parlor.http.requests.timed.out";
  public static final String AUTH_CODES = "parlor.auth.codes";
  public static final String RECEIPTS = "parlor.receipts";
  public static final String ADAPTER_STAT = "parlor.adapter.stat";
  /** What adapters counted through {@link io.parlor.spi.AdapterMetrics}, tagged {@code event}. */
  public static final String ADAPTER_EVENTS = "parlor.adapter.events";
  /** How long adapters' operations took ({@link io.parlor.spi.AdapterMetrics#time}), tagged {@code operation}. */
  public static final String ADAPTER_OPERATION = "parlor.adapter.operation";
  public static final String SYSTEM_MESSAGES = "parlor.system.messages";
  public static final String EVENTS = "parlor.events";
  public static final String MEDIA_FETCHES = "parlor.media.fetches";
  public static final String MEDIA_BYTES = "parlor.media.bytes";
  /** Group invitations by outcome: sent, dropped (unknown, not accepting, limit), held (the group-spammer rule). */
  public static final String GROUP_INVITATIONS = "parlor.group.invitations";
  /** Messages waiting to retry a delivery, per network. */
  public static final String DELIVERIES_RETRYING = "parlor.deliveries.retrying";
  /** 1 while a network is failing deliveries. */
  public static final String NETWORK_FAILING = "parlor.network.failing";

  /**
   * Safety decisions, tagged {@code decision}: {@code reported}, {@code held} (tagged with the
   * reported message's network too), and an operator's {@code released} or {@code confirmed}.
   */
  public static final String SAFETY_DECISIONS = "parlor.safety.decisions";
  /** Reports forwarded to the reported message's network, by outcome: forwarded or failed. */
  public static final String REPORTS_FORWARDED = "parlor.reports.forwarded";

  public static final String TAG_NETWORK = "network";
  public static final String TAG_DECISION = "decision";
  public static final String TAG_OUTCOME = "outcome";
  public static final String TAG_STATE = "state";
  public static final String TAG_ROUTE = "route";
  public static final String TAG_STATUS = "status";
}
