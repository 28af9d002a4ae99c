package io.parlor.adapter.smpp;

import java.math.BigInteger;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Normalizes SMSC message ids so that a {@code submit_sm_resp} id and the id in its receipt
 * match. SMSCs differ: many answer {@code submit_sm_resp} with a hexadecimal id and write the same
 * number in decimal in the receipt text ({@code id:...}), some the other way round, some pad with
 * zeros or change case. Stateless and thread-safe.
 */
final class MessageIds {

  private MessageIds() {}

  /** Trimmed, lower case, leading zeros removed ({@code "0"} stays). */
  static String normalize(String id) {
    String s = id.trim().toLowerCase(Locale.ROOT);
    int i = 0;
    while (i < s.length() - 1 && s.charAt(i) == '0') {
      i++;
    }
    return s.substring(i);
  }

  /**
   * Other spellings of the same id: its decimal value when it reads as hexadecimal, its
   * hexadecimal value when it reads as decimal. Normalized; excludes {@link #normalize}(id).
   */
  static Set<String> alternates(String id) {
    String n = normalize(id);
    Set<String> out = new LinkedHashSet<>();
    if (n.length() <= 32 && all(n, 16)) {
      out.add(new BigInteger(n, 16).toString(10));
    }
    if (n.length() <= 38 && all(n, 10)) {
      out.add(new BigInteger(n, 10).toString(16));
    }
    out.remove(n);
    return out;
  }

  private static boolean all(String s, int radix) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (Character.digit(s.charAt(i), radix) < 0) {
        return false;
      }
    }
    return true;
  }
}
