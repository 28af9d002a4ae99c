package io.parlor.core.groups;

import io.parlor.core.linking.PartyKey;
import io.parlor.core.store.StoredMessage;
import io.parlor.spi.StatusReport;
import io.parlor.spi.envelope.MessageId;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

/** What delivery needs to know of a group message's legs. Runs on a store connection; stateless. */
public final class GroupLegs {
  private GroupLegs() {}

  /** The group a leg belongs to, from its conversation key; empty outside groups. */
  public static Optional<PartyKey> groupOf(StoredMessage m) {
    String conv = m.conversation();
    if (!conv.startsWith("group:")) {
      return Optional.empty();
    }
    return Optional.of(new PartyKey(conv.substring(0, conv.indexOf(' '))));
  }

  /**
   * Counts the end of a group leg; once every leg of its message ended, the one status its
   * sender's network gets (with member counts), else empty. Empty for legs of system messages.
   */
  public static Optional<StatusReport> legEnded(Connection c, StoredMessage leg, boolean delivered, Instant at)
      throws SQLException {
    return GroupTable.legEnded(c, leg.sourceNetwork().value(), leg.sourceId().value(), delivered)
        .map(t -> report(leg.sourceId(), t, at));
  }

  /** {@code delivered} when any member got it (or there was nobody to reach), else {@code failed}. */
  public static StatusReport report(MessageId id, GroupTable.Tally t, Instant at) {
    boolean ok = t.delivered() > 0 || t.failed() == 0;
    return new StatusReport(id, ok ? StatusReport.Status.DELIVERED : StatusReport.Status.FAILED,
        ok ? "" : "no_member_reached", at, null, null, new StatusReport.Members(t.delivered(), t.failed(), t.pending()));
  }
}
