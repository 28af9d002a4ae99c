package io.parlor.adapter.smpp;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * The fields of a received {@code deliver_sm} this adapter reads, free of jsmpp types so that
 * normalization and receipt parsing are testable with plain values. Immutable.
 *
 * @param sourceAddr source address as sent
 * @param sourceTon source TON
 * @param destAddr destination address as sent
 * @param destTon destination TON
 * @param esmClass {@code esm_class}
 * @param dataCoding {@code data_coding}
 * @param shortMessage {@code short_message} octets, never null
 * @param tlvs optional parameters by tag, values without tag and length
 */
record InboundPdu(
    String sourceAddr,
    byte sourceTon,
    String destAddr,
    byte destTon,
    byte esmClass,
    byte dataCoding,
    byte[] shortMessage,
    Map<Integer, byte[]> tlvs) {

  static final int TLV_RECEIPTED_MESSAGE_ID = 0x001E;
  static final int TLV_SAR_MSG_REF_NUM = 0x020C;
  static final int TLV_SAR_TOTAL_SEGMENTS = 0x020E;
  static final int TLV_SAR_SEGMENT_SEQNUM = 0x020F;
  static final int TLV_NETWORK_ERROR_CODE = 0x0423;
  static final int TLV_MESSAGE_PAYLOAD = 0x0424;
  static final int TLV_MESSAGE_STATE = 0x0427;

  /** {@code esm_class} user data header indicator. */
  static final int ESM_UDHI = 0x40;
  /** {@code esm_class} message type mask (bits 5-2). */
  static final int ESM_TYPE_MASK = 0x3C;

  InboundPdu {
    shortMessage = shortMessage == null ? new byte[0] : shortMessage.clone();
    tlvs = Map.copyOf(tlvs);
  }

  @Override
  public byte[] shortMessage() {
    return shortMessage.clone();
  }

  Optional<byte[]> tlv(int tag) {
    byte[] v = tlvs.get(tag);
    return v == null ? Optional.empty() : Optional.of(v.clone());
  }

  /** The user data: {@code message_payload} when present, else {@code short_message}. */
  byte[] userData() {
    return tlv(TLV_MESSAGE_PAYLOAD).filter(v -> v.length > 0).orElse(shortMessage.clone());
  }

  boolean udhi() {
    return (esmClass & ESM_UDHI) != 0;
  }

  /** The message type of {@code esm_class}: 0 for a mobile-originated message. */
  int messageType() {
    return esmClass & ESM_TYPE_MASK;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof InboundPdu p
        && p.sourceTon == sourceTon
        && p.destTon == destTon
        && p.esmClass == esmClass
        && p.dataCoding == dataCoding
        && java.util.Objects.equals(p.sourceAddr, sourceAddr)
        && java.util.Objects.equals(p.destAddr, destAddr)
        && Arrays.equals(p.shortMessage, shortMessage)
        && p.tlvs.keySet().equals(tlvs.keySet());
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(sourceAddr, destAddr, esmClass, dataCoding) * 31
        + Arrays.hashCode(shortMessage);
  }

  @Override
  public String toString() {
    // Never print addresses or content.
    return "InboundPdu[esmClass=" + esmClass + ", dataCoding=" + dataCoding
        + ", octets=" + shortMessage.length + ", tlvs=" + tlvs.keySet() + "]";
  }
}
