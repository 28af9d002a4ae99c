package io.parlor.core.media;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/** An address range in CIDR form ({@code 10.0.0.0/8}, {@code fc00::/7}). Immutable. */
public record Cidr(byte[] network, int prefix) {
  private static final Pattern LITERAL = Pattern.compile("[0-9a-fA-F:.]+");

  /** The range, or empty when {@code s} is not a literal address with a valid prefix length. */
  public static Optional<Cidr> parse(String s) {
    if (s == null) {
      return Optional.empty();
    }
    int slash = s.indexOf('/');
    String addr = slash < 0 ? s.trim() : s.substring(0, slash).trim();
    if (!LITERAL.matcher(addr).matches()) {
      return Optional.empty(); // literals only: never resolve a host name here
    }
    try {
      byte[] a = InetAddress.getByName(addr).getAddress();
      int prefix = slash < 0 ? a.length * 8 : Integer.parseInt(s.substring(slash + 1).trim());
      if (prefix < 0 || prefix > a.length * 8) {
        return Optional.empty();
      }
      return Optional.of(new Cidr(a, prefix));
    } catch (UnknownHostException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Whether {@code address} is in the range (an IPv4 address never matches an IPv6 range). */
  public boolean contains(InetAddress address) {
    byte[] a = address.getAddress();
    if (a.length != network.length) {
      return false;
    }
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (a[i] != network[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (a[full] & mask) == (network[full] & mask);
  }
}
