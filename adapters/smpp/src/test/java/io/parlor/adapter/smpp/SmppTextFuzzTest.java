package io.parlor.adapter.smpp;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzz targets (Jazzer) of what Parlor reads from SMPP PDUs' text fields: delivery receipt text
 * (the SMSC's free-form {@code id:… stat:…}), and a short message's octets — its user data header
 * (concatenation) and its text in the data coding the PDU names. Each returns a value or empty,
 * never throws. Corpus in {@code src/test/resources/…/SmppTextFuzzTestInputs}, run by
 * {@code mvn verify}; fuzz for a minute with {@code JAZZER_FUZZ=1 mvn -o test -Djazzer.hooks=true -pl adapters/smpp
 * -Dtest=SmppTextFuzzTest#receipt} (docs/reliability.md).
 */
class SmppTextFuzzTest {
  @FuzzTest(maxDuration = "60s")
  void receipt(String text) {
    if (text == null) {
      return; // Jazzer's own null; a PDU's text field is never null
    }
    ReceiptParser.parse(text).ifPresent(r -> {
      if (r.toString() == null) {
        throw new AssertionError("unreachable");
      }
    });
  }

  @FuzzTest(maxDuration = "60s")
  void shortMessage(FuzzedDataProvider data) {
    byte dataCoding = data.consumeByte();
    byte[] octets = data.consumeRemainingAsBytes();
    Concatenation.parseHeader(octets);
    DataCodings.decode(dataCoding, octets).ifPresent(text -> {
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < text.length()
            && Character.isLowSurrogate(text.charAt(++i)))) {
          throw new AssertionError("decoded text holds an unpaired surrogate: it could not be stored as sent");
        }
      }
    });
  }
}
