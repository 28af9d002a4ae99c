package io.parlor.core.conversation;

import io.parlor.core.linking.ConversationPrefs;
import io.parlor.core.linking.PartyKey;
import io.parlor.core.linking.PeopleTable;
import io.parlor.core.linking.Person;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Envelope;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;

/**
 * How a sender appears to the people they write to (issue 10, "how I appear"): a relay handle per
 * recipient by default; their public {@code @handle} and a display name if they chose so. Never an
 * account. Runs on a store connection; stateless.
 */
public final class Presentation {
  private Presentation() {}

  /** {@code e} as its sender chose to appear: their public handle and display name, if they chose so. */
  public static Envelope presented(Connection c, Envelope e, PartyKey sender) throws SQLException {
    if (!sender.isPerson()) {
      return e.withFromName(null);
    }
    Optional<Person> p = PeopleTable.find(c, sender.personId());
    if (p.isEmpty()) {
      return e.withFromName(null);
    }
    ConversationPrefs prefs = p.get().conversation();
    Envelope out = e.withFromName(prefs.displayName());
    if (prefs.showAs() == ConversationPrefs.ShowAs.HANDLE && p.get().handle() != null) {
      out = out.withFrom(Address.of("@" + p.get().handle()));
    }
    return out;
  }
}
