package io.parlor.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.parlor.core.media.Cidr;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 11: {@code X-Forwarded-For} names the client only when a trusted proxy sent it; rightmost untrusted wins. */
class ForwardedClientTest {
  private static final List<Cidr> TRUSTED = List.of(Cidr.parse("10.0.0.0/8").orElseThrow(), Cidr.parse("::1/128").orElseThrow());

  private static String client(String peer, String... xff) throws Exception {
    return RequestHandler.client(InetAddress.getByName(peer), xff.length == 0 ? null : List.of(xff), TRUSTED).getHostAddress();
  }

  @Test
  void aTrustedProxysHeaderNamesTheClient() throws Exception {
    assertEquals("203.0.113.7", client("10.0.0.2", "203.0.113.7"));
    // two proxies of ours: the rightmost address that is not one of them
    assertEquals("203.0.113.7", client("10.0.0.2", "203.0.113.7, 10.0.0.9"));
    assertEquals("203.0.113.7", client("10.0.0.2", "203.0.113.7", "10.0.0.9")); // the header repeated
    assertEquals("2001:db8:0:0:0:0:0:1", client("::1", "[2001:db8::1]:4711"));
    assertEquals("198.51.100.4", client("10.0.0.2", "198.51.100.4:5555"));
  }

  @Test
  void anyoneElsesHeaderIsIgnoredAndASpoofedEntryLosesToTheOneOurProxyAdded() throws Exception {
    assertEquals("198.51.100.9", client("198.51.100.9", "203.0.113.7")); // not from a proxy of ours
    assertEquals("198.51.100.9", client("10.0.0.2", "1.1.1.1, 198.51.100.9")); // the client wrote 1.1.1.1 itself
    assertEquals("10.0.0.2", client("10.0.0.2", "203.0.113.7, not-an-address")); // nothing left of garbage is believed
    assertEquals("10.0.0.9", client("10.0.0.2", "10.0.0.9")); // every hop ours: the leftmost
    assertEquals("10.0.0.2", client("10.0.0.2"));
    assertEquals("198.51.100.9", RequestHandler.client(InetAddress.getByName("198.51.100.9"), List.of("203.0.113.7"), List.of())
        .getHostAddress()); // no trusted proxies configured
  }

  @Test
  void onlyLiteralsAreParsedNeverNamesResolved() {
    assertNull(RequestHandler.literal("localhost"));
    assertNull(RequestHandler.literal("example.org"));
    assertNull(RequestHandler.literal("1.2.3"));
    assertNull(RequestHandler.literal("[::1"));
    assertEquals("127.0.0.1", RequestHandler.literal("127.0.0.1").getHostAddress());
  }
}
