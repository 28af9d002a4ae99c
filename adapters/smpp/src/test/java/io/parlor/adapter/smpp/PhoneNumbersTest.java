package io.parlor.adapter.smpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.adapter.smpp.PhoneNumbers.SmppAddress;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PhoneNumbersTest {
  @Test
  void normalizesE164Destinations() {
    SmppAddress intl = new SmppAddress("447700900123", (byte) 1, (byte) 1);
    assertEquals(Optional.of(intl), PhoneNumbers.destination("+447700900123"));
    assertEquals(Optional.of(intl), PhoneNumbers.destination("+44 7700 900-123"));
    assertEquals(Optional.of(intl), PhoneNumbers.destination("0044 (7700) 900.123"));
    assertEquals(Optional.of(intl), PhoneNumbers.destination("447700900123"));
  }

  @Test
  void shortCodesAreNotInternational() {
    assertEquals(Optional.of(new SmppAddress("12345", (byte) 0, (byte) 1)), PhoneNumbers.destination("12345"));
  }

  @Test
  void rejectsWhatIsNotANumber() {
    assertTrue(PhoneNumbers.destination("+44abc").isEmpty());
    assertTrue(PhoneNumbers.destination("+1234").isEmpty());
    assertTrue(PhoneNumbers.destination("+1234567890123456").isEmpty());
    assertTrue(PhoneNumbers.destination("+0447700900123").isEmpty());
    assertTrue(PhoneNumbers.destination("").isEmpty());
  }

  @Test
  void readsInboundAddresses() {
    assertEquals(Optional.of("+447700900123"), PhoneNumbers.fromSmpp("447700900123", (byte) 1));
    assertEquals(Optional.of("+447700900123"), PhoneNumbers.fromSmpp("447700900123", (byte) 0));
    assertEquals(Optional.of("+447700900123"), PhoneNumbers.fromSmpp("+447700900123", (byte) 0));
    assertEquals(Optional.of("+447700900123"), PhoneNumbers.fromSmpp("00447700900123", (byte) 0));
    assertEquals(Optional.of("12345"), PhoneNumbers.fromSmpp("12345", (byte) 0));
    assertEquals(Optional.of("07700900123"), PhoneNumbers.fromSmpp("07700900123", (byte) 2));
    assertEquals(Optional.of("MyBank"), PhoneNumbers.fromSmpp("My Bank", (byte) 5));
    assertTrue(PhoneNumbers.fromSmpp("", (byte) 1).isEmpty());
    assertTrue(PhoneNumbers.fromSmpp(null, (byte) 1).isEmpty());
  }
}
