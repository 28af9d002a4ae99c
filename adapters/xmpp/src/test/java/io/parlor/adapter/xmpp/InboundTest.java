package io.parlor.adapter.xmpp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.spi.NetworkReceipt;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.Event;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a user's stanzas become. The stanzas are the examples of the XEPs themselves (their
 * addresses changed to a user and a JID of the component, their namespace to the component
 * stream's, as the server delivers them).
 */
class InboundTest {
  static final String DOMAIN = "parlor.example";
  static final Jids JIDS = new Jids(DOMAIN, new NetworkId("xmpp"), "component-secret-0123456789");
  static final Inbound IN = new Inbound(JIDS, 200);
  static final Instant NOW = Instant.parse("2026-12-05T10:00:00Z");

  /** A stanza as the component receives it: from romeo's client to juliet's handle at the component. */
  static Xml.Element stanza(String inner, String attrs) throws Exception {
    return Xml.parse("<message xmlns='jabber:component:accept' from='Romeo@Montague.lit/orchard' to='juliet@" + DOMAIN
        + "' " + attrs + ">" + inner + "</message>");
  }

  static Envelope envelope(Inbound.Result r) {
    return assertInstanceOf(Inbound.Message.class, r).envelope();
  }

  static MessageId own(String id) {
    return JIDS.own("romeo@montague.lit", "juliet@" + DOMAIN, id);
  }

  @Test
  void aChatMessageIsTextFromTheUsersBareJidToTheHandle() throws Exception {
    Envelope e = envelope(IN.read(stanza("<body>Art thou not Romeo, and a Montague?</body>", "id='ktx72v49' type='chat'"), NOW));
    assertEquals("xmpp:romeo@montague.lit", e.from().value(), "the bare JID, lowercased");
    assertEquals("@juliet", e.to().value());
    assertEquals("Art thou not Romeo, and a Montague?", ((Content.Text) e.content()).text());
    assertEquals(own("ktx72v49"), e.id());
    assertFalse(e.id().value().contains("romeo"), "no JID in the id");
    // the same id from another user is another message
    Envelope other = envelope(IN.read(Xml.parse("<message xmlns='jabber:component:accept' from='tybalt@capulet.lit/x' to='juliet@"
        + DOMAIN + "' id='ktx72v49' type='chat'><body>hi</body></message>"), NOW));
    assertFalse(other.id().equals(e.id()));
  }

  @Test
  void aRelayHandleIsTheLocalpartWithItsTilde() throws Exception {
    Envelope e = envelope(IN.read(Xml.parse("<message xmlns='jabber:component:accept' from='romeo@montague.lit/orchard' to='~k3xq9@"
        + DOMAIN + "' id='m1' type='chat'><body>hi</body></message>"), NOW));
    assertEquals("~k3xq9", e.to().value());
  }

  @Test
  void xep0461ReplyWithItsQuoteFallbackRemoved() throws Exception {
    // XEP-0461 example 1; the quote is the first 38 characters
    Envelope e = envelope(IN.read(stanza("<body>&gt; Anna wrote:\n&gt; We should bake a cake\nGreat idea!</body>"
        + "<reply to='anna@example.com/laptop' id='message-id1' xmlns='urn:xmpp:reply:0' />"
        + "<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start=\"0\" end=\"38\" /></fallback>",
        "id='message-id2' type='chat'"), NOW));
    assertEquals("Great idea!", ((Content.Text) e.content()).text());
    assertEquals(own("message-id1"), e.replyTo(), "a reply to one of her own messages");
    Envelope toDelivered = envelope(IN.read(stanza("<body>sure</body><reply xmlns='urn:xmpp:reply:0' id='p.g-42'/>",
        "id='m3' type='chat'"), NOW));
    assertEquals(MessageId.of("p.g-42"), toDelivered.replyTo(), "a reply to a message Parlor delivered keeps its id");
  }

  @Test
  void fallbackRangesReferToTheBodyAsItCame() throws Exception {
    // two ranges, both in offsets of the original body: "[q1]" at 0-4 and "[q2]" at 9-13
    Envelope e = envelope(IN.read(stanza("<body>[q1]abcd [q2]efgh</body><reply xmlns='urn:xmpp:reply:0' id='p.g-1'/>"
        + "<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='4'/><body start='9' end='13'/>"
        + "</fallback>", "id='fr1' type='chat'"), NOW));
    assertEquals("abcd efgh", ((Content.Text) e.content()).text());
  }

  @Test
  void xep0308CorrectionIsAnEditOfHerOwnMessage() throws Exception {
    Envelope e = envelope(IN.read(stanza("<body>But soft, what light through yonder window breaks?</body>"
        + "<replace id='bad1' xmlns='urn:xmpp:message-correct:0'/>", "id='good1'"), NOW));
    Content.Edit edit = assertInstanceOf(Content.Edit.class, e.content());
    assertEquals(own("bad1"), edit.target());
    assertEquals("But soft, what light through yonder window breaks?", edit.text());
  }

  @Test
  void xep0424RetractionBothVersionsIsADelete() throws Exception {
    Envelope v1 = envelope(IN.read(stanza("<retract id='origin-id-1' xmlns='urn:xmpp:message-retract:1'/>"
        + "<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:message-retract:1'/>"
        + "<body>/me retracted a previous message, but it's unsupported by your client.</body>"
        + "<store xmlns='urn:xmpp:hints'/>", "type='chat' id='retract-message-1'"), NOW));
    assertEquals(own("origin-id-1"), assertInstanceOf(Content.Delete.class, v1.content()).target());
    Envelope v0 = envelope(IN.read(stanza("<apply-to id='origin-id-1' xmlns='urn:xmpp:fasten:0'>"
        + "<retract xmlns='urn:xmpp:message-retract:0'/></apply-to>"
        + "<fallback xmlns='urn:xmpp:fallback'/><body>This person attempted to retract a previous message</body>",
        "type='chat' id='retract-message-0'"), NOW));
    assertEquals(own("origin-id-1"), assertInstanceOf(Content.Delete.class, v0.content()).target());
  }

  @Test
  void xep0444ReactionsKeepTheLatestAndAnEmptySetRemovesIt() throws Exception {
    Envelope e = envelope(IN.read(stanza("<reactions id='p.744f6e18' xmlns='urn:xmpp:reactions:0'>"
        + "<reaction>\uD83D\uDC4B</reaction><reaction>\uD83D\uDC22</reaction></reactions><store xmlns='urn:xmpp:hints'/>",
        "id='96d73204' type='chat'"), NOW));
    Content.Reaction r = assertInstanceOf(Content.Reaction.class, e.content());
    assertEquals(MessageId.of("p.744f6e18"), r.target());
    assertEquals("\uD83D\uDC22", r.emoji());
    Envelope removed = envelope(IN.read(stanza("<reactions id='p.744f6e18' xmlns='urn:xmpp:reactions:0'/>",
        "id='96d73205' type='chat'"), NOW));
    assertTrue(((Content.Reaction) removed.content()).removal());
  }

  @Test
  void xep0333DisplayedMarkerIsARead() throws Exception {
    Event.Read read = (Event.Read) assertInstanceOf(Inbound.Evt.class, IN.read(stanza("<thread>sleeping</thread>"
        + "<displayed xmlns='urn:xmpp:chat-markers:0' id='p.message-1'/>", "id='message-2'"), NOW)).event();
    assertEquals(List.of(MessageId.of("p.message-1")), read.ids());
    assertEquals("@juliet", read.to().value());
  }

  @Test
  void xep0184ReceiptOfAStanzaParlorDeliveredIsANetworkReceipt() throws Exception {
    NetworkReceipt r = assertInstanceOf(Inbound.Receipt.class,
        IN.read(stanza("<received xmlns='urn:xmpp:receipts' id='p.richard2-4.1.247'/>", "id='bi29sg183b4v'"), NOW)).receipt();
    assertEquals("richard2-4.1.247", r.idempotencyKey());
    assertEquals(NetworkReceipt.Outcome.DELIVERED, r.outcome());
    assertInstanceOf(Inbound.Ignore.class, IN.read(stanza("<received xmlns='urn:xmpp:receipts' id='other'/>", "id='x'"), NOW));
  }

  @Test
  void anErrorTheServerBouncedForADeliveryIsAFailedReceiptUnlessItSaysWait() throws Exception {
    NetworkReceipt r = assertInstanceOf(Inbound.Receipt.class, IN.read(stanza("<error type='cancel'>"
        + "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>", "id='p.g-9' type='error'"), NOW)).receipt();
    assertEquals(NetworkReceipt.Outcome.FAILED, r.outcome());
    assertEquals("service-unavailable", r.reason());
    assertInstanceOf(Inbound.Ignore.class, IN.read(stanza("<error type='wait'><resource-constraint "
        + "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>", "id='p.g-9' type='error'"), NOW));
  }

  @Test
  void xep0085ChatStatesAreTypingWithoutABodyAndNothingWithOne() throws Exception {
    Event.Typing on = (Event.Typing) assertInstanceOf(Inbound.Evt.class,
        IN.read(stanza("<composing xmlns='http://jabber.org/protocol/chatstates'/>", "type='chat'"), NOW)).event();
    assertTrue(on.on());
    Event.Typing off = (Event.Typing) assertInstanceOf(Inbound.Evt.class,
        IN.read(stanza("<paused xmlns='http://jabber.org/protocol/chatstates'/>", "type='chat'"), NOW)).event();
    assertFalse(off.on());
    assertInstanceOf(Inbound.Message.class, IN.read(stanza("<body>hi</body><active xmlns='http://jabber.org/protocol/chatstates'/>",
        "id='s1' type='chat'"), NOW));
  }

  @Test
  void xep0066OutOfBandUrlIsMediaAndAnUnsafeUrlIsRefusedNamingIt() throws Exception {
    Envelope e = envelope(IN.read(stanza("<body>https://upload.montague.lit/4a771ac1/tree.jpg</body>"
        + "<x xmlns='jabber:x:oob'><url>https://upload.montague.lit/4a771ac1/tree.jpg</url></x>", "id='u1' type='chat'"), NOW));
    Content.Media m = assertInstanceOf(Content.Media.class, e.content());
    assertEquals(Content.MediaKind.IMAGE, m.mediaKind());
    assertEquals("image/jpeg", m.mimeType());
    assertNull(m.caption(), "a body that is the URL is no caption");
    // XEP-0066 example 1 shares an http:// URL: Parlor fetches nothing unencrypted from the internet
    Inbound.Bounce b = assertInstanceOf(Inbound.Bounce.class, IN.read(stanza(
        "<body>Yeah, but do you have a license to Jabber?</body>"
            + "<x xmlns='jabber:x:oob'><url>http://www.jabber.org/images/psa-license.jpg</url></x>", "id='u2'"), NOW));
    assertEquals("u2", b.stanzaId());
    assertEquals("bad-request", b.condition());
    assertTrue(b.text().contains("content.url"), b.text());
  }

  @Test
  void omemoCiphertextIsCarriedOpaque() throws Exception {
    String encrypted = "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='27183'>"
        + "<key rid='31415'>BASE64ENCODED</key><key prekey='true' rid='12321'>BASE64ENCODED</key><iv>BASE64ENCODED</iv>"
        + "</header><payload>BASE64ENCODED</payload></encrypted>";
    Envelope e = envelope(IN.read(stanza(encrypted + "<store xmlns='urn:xmpp:hints'/>"
        + "<body>I sent you an OMEMO encrypted message but your client doesn't seem to support that.</body>", "id='send1'"), NOW));
    Content.Encrypted c = assertInstanceOf(Content.Encrypted.class, e.content());
    assertEquals("omemo", c.scheme());
    Xml.Element back = Xml.parse(new String(c.ciphertext(), StandardCharsets.UTF_8));
    assertEquals(Xml.parse(encrypted), back, "the element as it came, not its fallback body");
  }

  @Test
  void aTooLongBodyIsRefusedNamingTheField() throws Exception {
    Inbound.Bounce b = assertInstanceOf(Inbound.Bounce.class, IN.read(stanza("<body>" + "a".repeat(201) + "</body>", "id='l1'"), NOW));
    assertEquals("modify", b.type());
    assertTrue(b.text().contains("body"), b.text());
  }

  @Test
  void aMessageToTheComponentItselfOrFromAnotherComponentIsNotCarried() throws Exception {
    Inbound.Bounce b = assertInstanceOf(Inbound.Bounce.class, IN.read(Xml.parse("<message xmlns='jabber:component:accept' "
        + "from='romeo@montague.lit/o' to='" + DOMAIN + "' id='d1'><body>hi</body></message>"), NOW));
    assertEquals("item-not-found", b.condition());
    assertInstanceOf(Inbound.Ignore.class, IN.read(Xml.parse("<message xmlns='jabber:component:accept' "
        + "from='" + DOMAIN + "' to='juliet@" + DOMAIN + "' id='d2'><body>hi</body></message>"), NOW));
    assertInstanceOf(Inbound.Ignore.class, IN.read(stanza("<body>hi</body>", "id='g1' type='groupchat'"), NOW));
  }

  @Test
  void noIdsAreBornFromTheBodyOrNick() throws Exception {
    Envelope e = envelope(IN.read(stanza("<body>hi</body><nick xmlns='http://jabber.org/protocol/nick'>Romeo</nick>",
        "id='n1' type='chat'"), NOW));
    assertEquals("Romeo", e.fromName());
    assertArrayEquals(new String[] {"juliet", JIDS.tag("romeo@montague.lit"), "n1"}, Jids.ownParts(e.id()).orElseThrow());
  }
}
