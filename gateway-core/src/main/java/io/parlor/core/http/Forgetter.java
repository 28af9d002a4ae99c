package io.parlor.core.http;

import io.parlor.core.conversation.Snippets;
import io.parlor.core.delivery.DeliveryScheduler;
import io.parlor.core.delivery.StatusDispatcher;
import io.parlor.core.linking.PartyKey;
import io.parlor.core.linking.PeopleTable;
import io.parlor.core.store.MessageTable;
import io.parlor.core.store.Store;
import io.parlor.core.store.StatusOutbox;
import io.parlor.core.store.StoredMessage;
import io.parlor.spi.StatusReport;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Forgets a person entirely (admin DELETE and the user's "forget me"): in one transaction, their
 * queued messages (each sender is told {@code failed}, {@code recipient_unreachable}), then the
 * person and every mapping naming them. Thread-safe.
 */
public final class Forgetter {
  private final Store store;
  private final DeliveryScheduler scheduler;
  private final StatusDispatcher statuses;
  private final Clock clock;
  private final Snippets snippets;

  /** @param snippets the in-memory snippets of messages, which forget the person's too */
  public Forgetter(
      Store store, DeliveryScheduler scheduler, StatusDispatcher statuses, Clock clock, Snippets snippets,
      io.parlor.core.groups.Groups groups, boolean keepReportsAbout) {
    this.groups = groups;
    this.keepReportsAbout = keepReportsAbout;
    this.store = store;
    this.scheduler = scheduler;
    this.statuses = statuses;
    this.clock = clock;
    this.snippets = snippets;
  }

  private final io.parlor.core.groups.Groups groups;
  /** {@code policy.keepReportsAfterForget}: reports about a forgotten person, and their hold, stay. */
  private final boolean keepReportsAbout;

  private record Forgotten(List<String> gids, List<StatusOutbox.Entry> statuses, List<StoredMessage> legs) {}

  /** Completes with false when there was no such person. */
  public CompletionStage<Boolean> forget(String personId) {
    PartyKey key = PartyKey.person(personId);
    return store
        .write(
            c -> {
              // deliveries' bookkeeping under way (another writer, another node) ends first, and
              // what starts after this commits finds the person gone
              io.parlor.core.store.ForgetBarrier.exclusive(c);
              if (PeopleTable.find(c, personId).isEmpty()) {
                return null;
              }
              List<StatusOutbox.Entry> out = new ArrayList<>();
              List<String> gids = new ArrayList<>();
              for (StoredMessage m : MessageTable.forRecipient(c, key)) {
                MessageTable.delete(c, m.gid());
                gids.add(m.gid());
                if (io.parlor.core.groups.GroupLegs.groupOf(m).isPresent()) {
                  // a group leg ends in its message's tally
                  java.util.Optional<StatusReport> done =
                      io.parlor.core.groups.GroupLegs.legEnded(c, m, false, clock.instant());
                  if (done.isPresent()) {
                    out.add(StatusOutbox.add(c, m.sourceNetwork(), done.get()));
                  }
                  continue;
                }
                out.add(
                    StatusOutbox.add(
                        c, m.sourceNetwork(),
                        new StatusReport(m.sourceId(), StatusReport.Status.FAILED, "recipient_unreachable", clock.instant())));
              }
              // leaves every group (announced as leaving; a group left empty is deleted)
              List<StoredMessage> legs = groups.forget(c, personId, clock.instant());
              List<io.parlor.spi.envelope.Address> accounts = PeopleTable.accounts(c, personId);
              io.parlor.core.keys.KeyLog.forget(c, accounts);
              // the reports made by the person go; those about them, and their hold, too — unless
              // the operator must keep them by law (policy.keepReportsAfterForget)
              List<PartyKey> parties = new ArrayList<>();
              parties.add(key);
              accounts.forEach(a -> parties.add(PartyKey.address(a)));
              io.parlor.core.safety.Reports.forget(c, parties, keepReportsAbout);
              PeopleTable.delete(c, personId);
              snippets.forget(key);
              accounts.forEach(a -> snippets.forget(PartyKey.address(a)));
              return new Forgotten(gids, out, legs);
            })
        .thenApply(
            f -> {
              if (f == null) {
                return false;
              }
              scheduler.drop(f.gids);
              f.legs.forEach(scheduler::enqueue);
              f.statuses.forEach(statuses::dispatch);
              store.noteDeletion();
              return true;
            });
  }
}
