package io.parlor.core.delivery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.parlor.core.metrics.MetricNames;
import io.parlor.core.store.Store;
import io.parlor.core.store.StatusOutbox;
import io.parlor.core.store.StoredMessage;
import io.parlor.spi.NetworkReceipt;
import io.parlor.spi.StatusReport;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * For networks that report delivery after hand-over (SMS receipts, WhatsApp statuses): the
 * sender's network is told "delivered" when the receipt says so, "failed" or "expired" when it says
 * that, and — if no receipt comes within the wait — "delivered" with reason {@code no_receipt}
 * (it was handed over). The wait rows hold ids only and are deleted with the status. Thread-safe.
 */
public final class ReceiptBook implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReceiptBook.class);
  /**
   * A receipt can overtake the commit that records the hand-over (an SMSC may answer within a
   * millisecond): an unmatched receipt is tried again after these delays before it is dropped.
   */
  private static final long[] RETRY_MS = {50, 200, 500, 1000, 2000};

  private final Store store;
  private final StatusDispatcher statuses;
  private final MeterRegistry meters;
  private final java.util.concurrent.ScheduledExecutorService retries =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "receipt-retry");
            t.setDaemon(true);
            return t;
          });

  public ReceiptBook(Store store, StatusDispatcher statuses, MeterRegistry meters) {
    this.store = store;
    this.statuses = statuses;
    this.meters = meters;
  }

  @Override
  public void close() {
    retries.shutdownNow();
  }

  /** Records that {@code m}, handed over on {@code network}, awaits a receipt. */
  static void await(
      Connection c, StoredMessage m, NetworkId network, String networkMessageId, StatusReport.Grade grade, Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO receipt_waits(gid, network, network_message_id, source_network, source_id, at, grade)"
                + " VALUES (?,?,?,?,?,?,?) ON CONFLICT(gid) DO UPDATE SET network = excluded.network,"
                + " network_message_id = excluded.network_message_id, source_network = excluded.source_network,"
                + " source_id = excluded.source_id, at = excluded.at, grade = excluded.grade")) {
      ps.setString(1, m.gid());
      ps.setString(2, network.value());
      ps.setString(3, networkMessageId);
      ps.setString(4, m.sourceNetwork().value());
      ps.setString(5, m.sourceId().value());
      ps.setLong(6, now.toEpochMilli());
      ps.setString(7, grade == null ? null : grade.name());
      ps.executeUpdate();
    }
  }

  /** A receipt from {@code network}'s adapter. Called on adapter threads; never blocks. */
  public void onReceipt(NetworkId network, NetworkReceipt r) {
    attempt(network, r, 0);
  }

  private void attempt(NetworkId network, NetworkReceipt r, int tried) {
    StatusReport.Status status =
        r.outcome() == NetworkReceipt.Outcome.DELIVERED
            ? StatusReport.Status.DELIVERED
            : r.outcome() == NetworkReceipt.Outcome.EXPIRED ? StatusReport.Status.EXPIRED : StatusReport.Status.FAILED;
    String reason = status == StatusReport.Status.DELIVERED ? "" : r.reason().isEmpty() ? "undelivered" : "network_error";
    // lazily: shares the next message's commit rather than waking the writer for a commit of its
    // own (its status waits for it; nothing else does), as a delivery's bookkeeping does
    store
        .writeLazily(io.parlor.core.store.SqlWork.rerunnable(c -> settle(c, network, r, status, reason))) // SQL only
        .whenComplete(
            (entry, err) -> {
              if (err == null && entry == null && tried < RETRY_MS.length) {
                try {
                  retries.schedule(() -> attempt(network, r, tried + 1), RETRY_MS[tried], java.util.concurrent.TimeUnit.MILLISECONDS);
                  return;
                } catch (java.util.concurrent.RejectedExecutionException closing) {
                  // shutting down: count it as unmatched below
                }
              }
              String outcome = err != null ? "error" : entry == null ? "unmatched" : "matched";
              Counter.builder(MetricNames.RECEIPTS)
                  .tag(MetricNames.TAG_NETWORK, network.value())
                  .tag(MetricNames.TAG_OUTCOME, outcome)
                  .register(meters)
                  .increment();
              if (err != null && io.parlor.core.store.StoreUnavailableException.in(err)) {
                log.debug("a receipt from network {} could not be recorded: the store cannot write", network);
              } else if (err != null) {
                log.warn("a receipt from network {} could not be recorded", network, err);
              } else if (entry != null) {
                statuses.dispatch(entry);
              }
            });
  }

  private static StatusOutbox.Entry settle(
      Connection c, NetworkId network, NetworkReceipt r, StatusReport.Status status, String reason)
      throws SQLException {
    String sql =
        r.idempotencyKey() != null
            ? "SELECT gid, source_network, source_id, grade FROM receipt_waits WHERE gid = ? AND network = ?"
            : "SELECT gid, source_network, source_id, grade FROM receipt_waits WHERE network_message_id = ? AND network = ?";
    String gid;
    NetworkId source;
    MessageId sourceId;
    StatusReport.Grade grade;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, r.idempotencyKey() != null ? r.idempotencyKey() : r.networkMessageId());
      ps.setString(2, network.value());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null; // unknown, already settled, or a status not about a message of ours
        }
        gid = rs.getString(1);
        source = NetworkId.of(rs.getString(2));
        sourceId = MessageId.of(rs.getString(3));
        grade = grade(rs.getString(4), status);
      }
    }
    if (!delete(c, gid)) {
      return null; // settled meanwhile by another node (its receipt, or the wait expired)
    }
    return StatusOutbox.add(c, source, new StatusReport(sourceId, status, reason, r.at(), grade, null));
  }

  /** The grade a delivery was recorded with, carried to the status only when it was delivered. */
  private static StatusReport.Grade grade(String stored, StatusReport.Status status) {
    return stored == null || status != StatusReport.Status.DELIVERED ? null : StatusReport.Grade.valueOf(stored);
  }

  /** Whether this unit deleted the wait (another node's unit may have settled it first). */
  private static boolean delete(Connection c, String gid) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM receipt_waits WHERE gid = ?")) {
      ps.setString(1, gid);
      return ps.executeUpdate() > 0;
    }
  }

  /** Settles waits older than {@code before} as delivered ({@code no_receipt}). */
  public void expire(Instant before, Instant now) {
    store
        .write(
            c -> {
              List<StatusOutbox.Entry> out = new ArrayList<>();
              List<String[]> rows = new ArrayList<>();
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT gid, source_network, source_id, grade FROM receipt_waits WHERE at < ? LIMIT 1000")) {
                ps.setLong(1, before.toEpochMilli());
                try (ResultSet rs = ps.executeQuery()) {
                  while (rs.next()) {
                    rows.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)});
                  }
                }
              }
              for (String[] row : rows) {
                if (!delete(c, row[0])) {
                  continue; // its receipt came meanwhile, on another node
                }
                out.add(
                    StatusOutbox.add(
                        c, NetworkId.of(row[1]),
                        new StatusReport(
                            MessageId.of(row[2]), StatusReport.Status.DELIVERED, "no_receipt", now,
                            grade(row[3], StatusReport.Status.DELIVERED), null)));
              }
              return out;
            })
        .thenAccept(list -> list.forEach(statuses::dispatch))
        .exceptionally(
            e -> {
              if (!io.parlor.core.store.StoreUnavailableException.in(e)) {
                log.warn("expiring receipt waits failed", e);
              }
              return null;
            });
  }
}
