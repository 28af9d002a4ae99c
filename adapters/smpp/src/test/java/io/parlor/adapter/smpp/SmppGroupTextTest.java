package io.parlor.adapter.smpp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The text of a group's message on a short code: the group and the sender come first. */
class SmppGroupTextTest {
  private static Envelope text(String from, String text) {
    return Envelope.of(MessageId.of("g-1"), Address.of(from), Address.of("sms:+447700900001"), Instant.now(),
        new Content.Text(text));
  }

  @Test
  void aGroupsMessageNamesTheGroupAndTheSender() {
    Envelope e = text("@alice", "Saturday?").withGroup(new Envelope.Group(Address.of("~k3j9x2m4pq"), "Climbing"));
    assertEquals("[Climbing] @alice: Saturday?", SmppSender.textOf(e));
  }

  @Test
  void oneToOneTextIsSentAsItIs() {
    assertEquals("Saturday?", SmppSender.textOf(text("~k3j9x2m4pq", "Saturday?")));
  }
}
