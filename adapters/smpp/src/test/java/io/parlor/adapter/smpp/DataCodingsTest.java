package io.parlor.adapter.smpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DataCodingsTest {
  @Test
  void decodesTheTextCodings() {
    assertEquals(Optional.of("€ 5"), DataCodings.decode((byte) 0x00, Gsm7.encode("€ 5")));
    assertEquals(Optional.of("abc"), DataCodings.decode((byte) 0x01, "abc".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(Optional.of("café"), DataCodings.decode((byte) 0x03, "café".getBytes(StandardCharsets.ISO_8859_1)));
    assertEquals(Optional.of("Привет"), DataCodings.decode((byte) 0x08, Ucs2.encode("Привет")));
  }

  @Test
  void decodesGsmGroupCodings() {
    assertEquals(Optional.of("hi"), DataCodings.decode((byte) 0xF0, Gsm7.encode("hi")));
    assertEquals(Optional.of("hi"), DataCodings.decode((byte) 0x10, Gsm7.encode("hi")));
    assertEquals(Optional.of("hé"), DataCodings.decode((byte) 0x18, Ucs2.encode("hé")));
  }

  @Test
  void binaryAndCompressedAreNotText() {
    assertTrue(DataCodings.decode((byte) 0x04, new byte[] {1}).isEmpty());
    assertTrue(DataCodings.decode((byte) 0x02, new byte[] {1}).isEmpty());
    assertTrue(DataCodings.decode((byte) 0xF4, new byte[] {1}).isEmpty());
    assertTrue(DataCodings.decode((byte) 0x30, new byte[] {1}).isEmpty());
  }
}
