package io.parlor.core.media;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where the node may fetch media from (the SSRF guard of {@code GET /media/{token}}): {@code
 * https} to public addresses only, never to private, loopback, link-local, shared, documentation,
 * multicast or reserved ranges unless {@code media.allowedPrivateRanges} lists them; {@code http}
 * only to addresses that list allows (tests: loopback). A name is resolved once and the connection
 * goes to the address that was checked, so a second answer of the resolver cannot redirect it.
 * Immutable and thread-safe; {@link #resolve} blocks (call it off an event loop).
 */
final class SafeAddresses {
  private static final List<Cidr> SPECIAL = ranges(
      "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
      "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
      "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
      "::/128", "::1/128", "64:ff9b::/96", "100::/64", "2001::/23", "2001:db8::/32", "2002::/16",
      "fc00::/7", "fe80::/10", "ff00::/8");

  private final List<Cidr> allowed;

  SafeAddresses(List<String> allowedPrivateRanges) {
    this.allowed = ranges(allowedPrivateRanges.toArray(new String[0]));
  }

  /** Why a URL or address is refused (for metrics and logs: no URL, no address). */
  enum Refusal {
    SCHEME,
    ADDRESS,
    UNRESOLVED
  }

  /** An address to connect to, or why there is none. */
  record Checked(InetAddress address, Refusal refusal) {}

  /** Whether the URL's form may be fetched at all (scheme, host, no user info). Does not resolve. */
  static boolean wellFormed(URI url) {
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    return (scheme.equals("https") || scheme.equals("http"))
        && url.getHost() != null && !url.getHost().isEmpty() && url.getRawUserInfo() == null;
  }

  /** Resolves the URL's host and picks the first address the rules allow. Blocks. */
  Checked resolve(URI url) {
    if (!wellFormed(url)) {
      return new Checked(null, Refusal.SCHEME);
    }
    boolean https = url.getScheme().equalsIgnoreCase("https");
    String host = url.getHost();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    InetAddress[] all;
    try {
      all = InetAddress.getAllByName(host);
    } catch (UnknownHostException e) {
      return new Checked(null, Refusal.UNRESOLVED);
    }
    for (InetAddress a : all) {
      if (allows(a, https)) {
        return new Checked(a, null);
      }
    }
    return new Checked(null, Refusal.ADDRESS);
  }

  /** {@code https}: a public address or an allowed one; {@code http}: an allowed one only. */
  boolean allows(InetAddress a, boolean https) {
    if (allowed.stream().anyMatch(c -> c.contains(a))) {
      return true;
    }
    return https && SPECIAL.stream().noneMatch(c -> c.contains(a)) && !a.isAnyLocalAddress()
        && !a.isSiteLocalAddress() && !a.isLinkLocalAddress() && !a.isLoopbackAddress() && !a.isMulticastAddress();
  }

  private static List<Cidr> ranges(String... cidrs) {
    List<Cidr> out = new ArrayList<>();
    for (String c : cidrs) {
      Optional<Cidr> r = Cidr.parse(c);
      r.ifPresent(out::add);
    }
    return List.copyOf(out);
  }
}
