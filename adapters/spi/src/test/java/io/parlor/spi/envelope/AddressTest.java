package io.parlor.spi.envelope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class AddressTest {
  @Test
  void eachFormHasItsKindAndOnlyAccountsHaveANetwork() {
    Address account = Address.of("sms:+447700900123");
    assertEquals(Address.Kind.ACCOUNT, account.kind());
    assertEquals(Optional.of(NetworkId.of("sms")), account.network());
    assertEquals("+447700900123", account.account());

    Address handle = Address.of("@alice.b");
    assertEquals(Address.Kind.HANDLE, handle.kind());
    assertEquals(Optional.empty(), handle.network());

    Address relay = Address.of("~k3x9");
    assertEquals(Address.Kind.RELAY, relay.kind());
    assertThrows(IllegalStateException.class, relay::account);
  }

  @Test
  void malformedAddressesAreRefusedWithTheirField() {
    for (String bad : new String[] {"", "@", "~ab", "nocolon", "Sms:+1", "sms:", "sms:a b", "@Alice", "~ABCD"}) {
      assertFalse(Address.isValid(bad), bad);
      EnvelopeException e = assertThrows(EnvelopeException.class, () -> Address.parse("to", bad), bad);
      assertEquals("to", e.field(), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> Address.of("sms:\u0000x"));
  }

  // what each form accepts, as first written (the checks are by hand now, for speed; held to these)
  private static final java.util.regex.Pattern ACCOUNT =
      java.util.regex.Pattern.compile("[a-z][a-z0-9_-]{0,31}:[^\\s:][^\\s]{0,255}");
  private static final java.util.regex.Pattern HANDLE = java.util.regex.Pattern.compile("@[a-z0-9_.]{1,32}");
  private static final java.util.regex.Pattern RELAY = java.util.regex.Pattern.compile("~[a-z0-9]{4,32}");
  private static final java.util.regex.Pattern NETWORK = java.util.regex.Pattern.compile("[a-z][a-z0-9_-]{0,31}");

  private static boolean byDefinition(String v) {
    if (v.startsWith("@")) {
      return HANDLE.matcher(v).matches();
    }
    if (v.startsWith("~")) {
      return RELAY.matcher(v).matches();
    }
    return ACCOUNT.matcher(v).matches() && v.chars().noneMatch(c -> Character.isISOControl(c));
  }

  private static final String[] PIECES = {
    "a", "z", "q", "0", "9", "_", "-", ".", ":", "@", "~", "A", " ", "\t", "\n", "\u000B", "\f", "\r", "+44",
    "\u0000", "\u007F", "\u0085", "\u00A0", "\u2003", "é", "\uD83D\uDC4D", "\uD800", "\uDC00", "x".repeat(31),
    "y".repeat(120), "sms:", "neta:",
  };

  @Test
  void everyFormAcceptsWhatItsExpressionDoesAndNothingElse() {
    assertEquals(true, Address.isValid("a".repeat(32) + ":" + "\uD83D\uDC4D".repeat(256)));
    assertFalse(Address.isValid("a".repeat(32) + ":" + "\uD83D\uDC4D".repeat(257)));
    assertFalse(Address.isValid("a".repeat(33) + ":x"));
    assertEquals(true, Address.isValid("@" + "a".repeat(32)));
    assertFalse(Address.isValid("@" + "a".repeat(33)));
    java.util.SplittableRandom random = new java.util.SplittableRandom(29);
    for (int i = 0; i < 200_000; i++) {
      StringBuilder b = new StringBuilder();
      for (int p = random.nextInt(12); p > 0; p--) {
        b.append(PIECES[random.nextInt(PIECES.length)]);
      }
      String v = b.toString();
      java.util.function.Supplier<String> shown = () -> v.codePoints().mapToObj(Integer::toHexString).toList().toString();
      assertEquals(byDefinition(v), Address.isValid(v), shown);
      assertEquals(NETWORK.matcher(v).matches(), NetworkId.isValid(v), shown);
    }
  }
}
