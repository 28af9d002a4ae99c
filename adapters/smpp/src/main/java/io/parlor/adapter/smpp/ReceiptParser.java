package io.parlor.adapter.smpp;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.util.Optional;

/**
 * Parses SMSC delivery receipts: the de-facto standard text of SMPP 3.4 appendix B
 * ({@code id:IIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD
 * err:E text:...}) and the {@code receipted_message_id}, {@code message_state} and {@code
 * network_error_code} TLVs, which win over the text when present. Stateless and thread-safe.
 */
final class ReceiptParser {
  private ReceiptParser() {}

  /** Whether a {@code deliver_sm} is a receipt or another SMSC notification, not a user message. */
  static boolean isReceipt(InboundPdu pdu) {
    return pdu.messageType() != 0 || pdu.tlvs().containsKey(InboundPdu.TLV_RECEIPTED_MESSAGE_ID);
  }

  /**
   * Parses the receipt text alone. Empty when it carries no {@code id:} or no {@code stat:}. Keys
   * match case-insensitively and only before {@code text:} (whose value is free text). Runs for
   * every receipt, so it scans with {@code indexOf}, not regular expressions.
   */
  static Optional<DeliveryReceipt> parse(String text) {
    String lower = lowerSameLength(text);
    int textAt = key(lower, "text:", lower.length());
    int end = textAt < 0 ? lower.length() : textAt;
    String id = value(text, lower, "id:", end);
    String stat = value(text, lower, "stat:", end);
    if (id == null || id.isEmpty() || stat == null || stat.isEmpty()) {
      return Optional.empty();
    }
    String err = value(text, lower, "err:", end);
    return Optional.of(
        new DeliveryReceipt(
            id,
            DeliveryReceipt.State.ofText(stat),
            err == null ? "" : err,
            date(either(text, lower, "submit date:", "submit_date:", end)),
            date(either(text, lower, "done date:", "done_date:", end))));
  }

  /** Parses a receipt {@code deliver_sm}: TLVs first, the text for whatever they lack. */
  static Optional<DeliveryReceipt> fromPdu(InboundPdu pdu) {
    String text = new String(pdu.userData(), StandardCharsets.ISO_8859_1);
    Optional<DeliveryReceipt> fromText = parse(text);
    Optional<String> tlvId =
        pdu.tlv(InboundPdu.TLV_RECEIPTED_MESSAGE_ID).map(ReceiptParser::cString).filter(s -> !s.isBlank());
    Optional<DeliveryReceipt.State> tlvState =
        pdu.tlv(InboundPdu.TLV_MESSAGE_STATE)
            .filter(v -> v.length >= 1)
            .map(v -> DeliveryReceipt.State.ofTlv(v[0] & 0xFF));
    Optional<String> tlvError =
        pdu.tlv(InboundPdu.TLV_NETWORK_ERROR_CODE)
            .filter(v -> v.length == 3)
            .map(v -> (v[0] & 0xFF) + ":" + (((v[1] & 0xFF) << 8) | (v[2] & 0xFF)));
    String id = tlvId.orElse(fromText.map(DeliveryReceipt::messageId).orElse(null));
    DeliveryReceipt.State state = tlvState.orElse(fromText.map(DeliveryReceipt::state).orElse(null));
    if (id == null || state == null) {
      return Optional.empty();
    }
    String error = fromText.map(DeliveryReceipt::error).filter(e -> !e.isEmpty()).orElse(tlvError.orElse(""));
    return Optional.of(
        new DeliveryReceipt(
            id,
            state,
            error,
            fromText.map(DeliveryReceipt::submitDate).orElse(null),
            fromText.map(DeliveryReceipt::doneDate).orElse(null)));
  }

  /**
   * Lower case, one char for one char: the indexes found in it are used on the text itself, and
   * {@code String.toLowerCase} may change the length (e.g. {@code İ} becomes two chars; found by
   * fuzzing, {@code SmppTextFuzzTest}).
   */
  static String lowerSameLength(String text) {
    char[] c = text.toCharArray();
    for (int i = 0; i < c.length; i++) {
      c[i] = Character.toLowerCase(c[i]);
    }
    return new String(c);
  }

  /** Index of {@code key} at the start of a word before {@code end}, or -1. */
  private static int key(String lower, String key, int end) {
    int from = 0;
    while (true) {
      int i = lower.indexOf(key, from);
      if (i < 0 || i >= end) {
        return -1;
      }
      if (i == 0 || Character.isWhitespace(lower.charAt(i - 1))) {
        return i;
      }
      from = i + 1;
    }
  }

  /** The word after {@code key}, or null. */
  private static String value(String text, String lower, String key, int end) {
    int i = key(lower, key, end);
    if (i < 0) {
      return null;
    }
    int v = i + key.length();
    int e = v;
    while (e < end && !Character.isWhitespace(text.charAt(e))) {
      e++;
    }
    return text.substring(v, e);
  }

  private static String either(String text, String lower, String key, String alt, int end) {
    String v = value(text, lower, key, end);
    return v != null ? v : value(text, lower, alt, end);
  }

  /** {@code YYMMDDhhmm} or {@code YYMMDDhhmmss}; null when absent or malformed. */
  private static LocalDateTime date(String v) {
    if (v == null || (v.length() != 10 && v.length() != 12)) {
      return null;
    }
    int[] n = new int[v.length() / 2];
    for (int i = 0; i < n.length; i++) {
      int hi = Character.digit(v.charAt(2 * i), 10);
      int lo = Character.digit(v.charAt(2 * i + 1), 10);
      if (hi < 0 || lo < 0) {
        return null;
      }
      n[i] = hi * 10 + lo;
    }
    try {
      return LocalDateTime.of(2000 + n[0], n[1], n[2], n[3], n[4], n.length == 6 ? n[5] : 0);
    } catch (DateTimeException e) {
      return null;
    }
  }

  private static String cString(byte[] v) {
    int n = 0;
    while (n < v.length && v[n] != 0) {
      n++;
    }
    return new String(v, 0, n, StandardCharsets.ISO_8859_1);
  }
}
