package io.parlor.adapter.smpp;

import java.util.Arrays;
import java.util.Map;

/** Builders of inbound PDUs for tests. */
final class Pdus {
  static final String ALICE = "447700900123";
  static final String SHORT_CODE = "12345";

  private Pdus() {}

  static InboundPdu mo(byte dataCoding, byte[] sm) {
    return new InboundPdu(ALICE, (byte) 1, SHORT_CODE, (byte) 0, (byte) 0, dataCoding, sm, Map.of());
  }

  static InboundPdu moPart(byte dataCoding, int ref, int total, int seq, byte[] body) {
    byte[] sm = new byte[6 + body.length];
    sm[0] = 5;
    sm[1] = 0;
    sm[2] = 3;
    sm[3] = (byte) ref;
    sm[4] = (byte) total;
    sm[5] = (byte) seq;
    System.arraycopy(body, 0, sm, 6, body.length);
    return new InboundPdu(ALICE, (byte) 1, SHORT_CODE, (byte) 0, (byte) 0x40, dataCoding, sm, Map.of());
  }

  static byte[] slice(byte[] b, int from, int to) {
    return Arrays.copyOfRange(b, from, Math.min(to, b.length));
  }
}
