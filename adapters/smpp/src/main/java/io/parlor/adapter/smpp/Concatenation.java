package io.parlor.adapter.smpp;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Splits a text into SMS parts and reads concatenation headers. Stateless and thread-safe.
 *
 * <p>Outbound: GSM 03.38 when every character is in the default alphabet or its extension, UCS-2
 * otherwise. A text that fits one SMS (160 septets / 70 UCS-2 code units) is sent as is; a longer
 * one is split into parts of at most 153 septets / 67 code units, each starting with a user data
 * header carrying the 8-bit concatenation element ({@code 05 00 03 ref total seq}). An extension
 * character's escape pair and a UTF-16 surrogate pair are never cut across two parts.
 *
 * <p>Inbound: {@link #parseHeader} reads the 8-bit (IEI 0x00) and 16-bit (IEI 0x08) elements.
 */
final class Concatenation {
  static final int GSM_SINGLE = 160;
  static final int GSM_PART = 153;
  static final int UCS2_SINGLE_OCTETS = 140;
  static final int UCS2_PART_OCTETS = 134;
  static final int UDH_LENGTH = 6;

  private Concatenation() {}

  /** The alphabet of an outbound message. */
  enum Alphabet {
    GSM7((byte) 0x00),
    UCS2((byte) 0x08);

    final byte dataCoding;

    Alphabet(byte dataCoding) {
      this.dataCoding = dataCoding;
    }
  }

  /**
   * An outbound message ready for {@code submit_sm}.
   *
   * @param alphabet the alphabet, giving {@code data_coding}
   * @param parts each part's {@code short_message} including its header when concatenated
   * @param concatenated whether parts carry a header (set {@code esm_class} UDHI, 0x40)
   */
  record Split(Alphabet alphabet, List<byte[]> parts, boolean concatenated) {
    Split {
      parts = List.copyOf(parts);
    }
  }

  /** Thrown when a text needs more parts than allowed. */
  static final class TooLongException extends Exception {
    private static final long serialVersionUID = 1L;
    final int parts;

    TooLongException(int parts, int maxParts) {
      super("text needs " + parts + " SMS parts, at most " + maxParts + " allowed");
      this.parts = parts;
    }
  }

  /**
   * Splits {@code text} into at most {@code maxParts} parts.
   *
   * @param ref the 8-bit reference shared by the parts (only its low 8 bits are used)
   */
  static Split split(String text, int maxParts, int ref) throws TooLongException {
    boolean gsm = Gsm7.canEncode(text);
    // Most messages fit one SMS: encode them directly, without the per-character unit list.
    if (gsm && Gsm7.length(text) <= GSM_SINGLE) {
      return new Split(Alphabet.GSM7, List.of(Gsm7.encode(text)), false);
    }
    if (!gsm && text.length() * 2 <= UCS2_SINGLE_OCTETS) {
      return new Split(Alphabet.UCS2, List.of(Ucs2.encode(text)), false);
    }
    if (gsm) {
      List<byte[]> units = new ArrayList<>(text.length());
      for (int i = 0; i < text.length(); i++) {
        units.add(Gsm7.encode(text.charAt(i)));
      }
      return build(Alphabet.GSM7, units, GSM_SINGLE, GSM_PART, maxParts, ref);
    }
    List<byte[]> units = new ArrayList<>(text.length());
    int i = 0;
    while (i < text.length()) {
      int cp = text.codePointAt(i);
      int n = Character.charCount(cp);
      units.add(Ucs2.encode(text.substring(i, i + n)));
      i += n;
    }
    return build(Alphabet.UCS2, units, UCS2_SINGLE_OCTETS, UCS2_PART_OCTETS, maxParts, ref);
  }

  /** Number of parts {@code text} needs (without a limit). */
  static int countParts(String text) {
    try {
      return split(text, Integer.MAX_VALUE, 0).parts().size();
    } catch (TooLongException e) {
      throw new AssertionError(e);
    }
  }

  private static Split build(
      Alphabet alphabet, List<byte[]> units, int single, int part, int maxParts, int ref)
      throws TooLongException {
    int total = 0;
    for (byte[] u : units) {
      total += u.length;
    }
    if (total <= single) {
      return new Split(alphabet, List.of(concat(units, 0, units.size())), false);
    }
    List<int[]> ranges = new ArrayList<>();
    int start = 0;
    int size = 0;
    for (int i = 0; i < units.size(); i++) {
      if (size + units.get(i).length > part) {
        ranges.add(new int[] {start, i});
        start = i;
        size = 0;
      }
      size += units.get(i).length;
    }
    ranges.add(new int[] {start, units.size()});
    if (ranges.size() > maxParts) {
      throw new TooLongException(ranges.size(), maxParts);
    }
    List<byte[]> parts = new ArrayList<>(ranges.size());
    for (int p = 0; p < ranges.size(); p++) {
      byte[] body = concat(units, ranges.get(p)[0], ranges.get(p)[1]);
      byte[] sm = new byte[UDH_LENGTH + body.length];
      sm[0] = 0x05;
      sm[1] = 0x00;
      sm[2] = 0x03;
      sm[3] = (byte) ref;
      sm[4] = (byte) ranges.size();
      sm[5] = (byte) (p + 1);
      System.arraycopy(body, 0, sm, UDH_LENGTH, body.length);
      parts.add(sm);
    }
    return new Split(alphabet, parts, true);
  }

  private static byte[] concat(List<byte[]> units, int from, int to) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = from; i < to; i++) {
      out.writeBytes(units.get(i));
    }
    return out.toByteArray();
  }

  /**
   * Concatenation info of one received part.
   *
   * @param ref the reference shared by the parts
   * @param total number of parts
   * @param seq this part's number, 1-based
   * @param refBits 8 or 16
   */
  record Info(int ref, int total, int seq, int refBits) {
    boolean valid() {
      return total >= 1 && seq >= 1 && seq <= total;
    }
  }

  /**
   * A parsed user data header.
   *
   * @param length octets the header occupies, including its length octet
   * @param concat the concatenation element, if any
   */
  record Header(int length, Optional<Info> concat) {}

  /**
   * Parses the user data header at the start of {@code sm}. Empty when {@code sm} is too short for
   * the header length it announces.
   */
  static Optional<Header> parseHeader(byte[] sm) {
    if (sm.length == 0) {
      return Optional.empty();
    }
    int udhl = sm[0] & 0xFF;
    if (udhl + 1 > sm.length) {
      return Optional.empty();
    }
    Info info = null;
    int i = 1;
    while (i + 1 <= udhl) {
      int iei = sm[i] & 0xFF;
      int len = sm[i + 1] & 0xFF;
      int v = i + 2;
      if (v + len > udhl + 1) {
        break;
      }
      if (iei == 0x00 && len == 3) {
        info = new Info(sm[v] & 0xFF, sm[v + 1] & 0xFF, sm[v + 2] & 0xFF, 8);
      } else if (iei == 0x08 && len == 4) {
        int ref = ((sm[v] & 0xFF) << 8) | (sm[v + 1] & 0xFF);
        info = new Info(ref, sm[v + 2] & 0xFF, sm[v + 3] & 0xFF, 16);
      }
      i = v + len;
    }
    return Optional.of(new Header(udhl + 1, Optional.ofNullable(info)));
  }
}
