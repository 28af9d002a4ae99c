package io.parlor.adapter.smpp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReassemblerTest {
  private final TestClock clock = new TestClock();
  private final Reassembler r = new Reassembler(clock, Duration.ofMinutes(5), 100);
  private final Reassembler.Key key = new Reassembler.Key("+447700900123", "12345", 7, 3, 8);

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void assemblesInOrder() {
    assertTrue(r.offer(key, 1, (byte) 0, b("ab")).isEmpty());
    assertTrue(r.offer(key, 2, (byte) 0, b("cd")).isEmpty());
    assertArrayEquals(b("abcdef"), r.offer(key, 3, (byte) 0, b("ef")).orElseThrow().userData());
  }

  @Test
  void assemblesOutOfOrderWithTheFirstArrivalsCoding() {
    assertTrue(r.offer(key, 3, (byte) 8, b("ef")).isEmpty());
    assertTrue(r.offer(key, 1, (byte) 8, b("ab")).isEmpty());
    Reassembler.Assembled a = r.offer(key, 2, (byte) 8, b("cd")).orElseThrow();
    assertArrayEquals(b("abcdef"), a.userData());
    assertEquals((byte) 8, a.dataCoding());
  }

  @Test
  void keepsTheGroupUntilCompletedSoARedeliveredLastPartAssemblesAgain() {
    r.offer(key, 1, (byte) 0, b("ab"));
    r.offer(key, 2, (byte) 0, b("cd"));
    assertTrue(r.offer(key, 3, (byte) 0, b("ef")).isPresent());
    assertTrue(r.offer(key, 3, (byte) 0, b("ef")).isPresent(), "redelivery of the last part");
    r.complete(key);
    assertEquals(0, r.size());
    assertTrue(r.offer(key, 3, (byte) 0, b("ef")).isEmpty());
  }

  @Test
  void separatesMessagesByReferenceSenderAndReferenceSize() {
    Reassembler.Key other = new Reassembler.Key("+447700900123", "12345", 7, 3, 16);
    r.offer(key, 1, (byte) 0, b("a"));
    r.offer(other, 2, (byte) 0, b("b"));
    r.offer(other, 3, (byte) 0, b("c"));
    assertTrue(r.offer(key, 2, (byte) 0, b("b")).isEmpty());
    assertEquals(2, r.size());
  }

  @Test
  void dropsIncompleteGroupsAfterTheTimeout() {
    r.offer(key, 1, (byte) 0, b("ab"));
    clock.advance(Duration.ofMinutes(4));
    assertEquals(0, r.purgeExpired());
    clock.advance(Duration.ofMinutes(1));
    assertEquals(1, r.purgeExpired());
    assertEquals(0, r.size());
    r.offer(key, 2, (byte) 0, b("cd"));
    assertTrue(r.offer(key, 3, (byte) 0, b("ef")).isEmpty(), "the first part was dropped");
  }

  @Test
  void boundsTheNumberOfGroups() {
    Reassembler small = new Reassembler(clock, Duration.ofMinutes(5), 2);
    for (int ref = 0; ref < 5; ref++) {
      small.offer(new Reassembler.Key("a", "b", ref, 2, 8), 1, (byte) 0, b("x"));
    }
    assertEquals(2, small.size());
  }
}
