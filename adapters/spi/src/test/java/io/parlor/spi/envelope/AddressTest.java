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
}
