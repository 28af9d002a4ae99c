package io.parlor.adapter.xmpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.StatusReport;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What Parlor's deliveries and statuses look like on XMPP, read back with Inbound's parser. */
class OutboundTest {
  static final Jids JIDS = InboundTest.JIDS;
  static final Outbound OUT = new Outbound(JIDS);
  static final Address ROMEO = Address.of("xmpp:romeo@montague.lit");

  static Envelope from(String sender, Content c) {
    return Envelope.of(MessageId.of("g-1"), Address.of(sender), ROMEO, Instant.now(), c);
  }

  static Xml.Element rendered(Envelope e) throws Exception {
    // written and parsed again, as the server would read it
    return Xml.parse(OUT.message(e, ROMEO, "k1").toXml(""));
  }

  @Test
  void textFromAHandleOrRelayWithReplyNickReceiptRequestAndMarker() throws Exception {
    Xml.Element m = rendered(from("~k3xq9", new Content.Text("a & b <c>")).withReplyTo(JIDS.own("romeo@montague.lit",
        "~k3xq9@" + InboundTest.DOMAIN, "his-1")).withFromName("Juliet"));
    assertEquals("~k3xq9@parlor.example", m.attr("from"));
    assertEquals("romeo@montague.lit", m.attr("to"));
    assertEquals("p.k1", m.attr("id"));
    assertEquals("chat", m.attr("type"));
    assertEquals("a & b <c>", m.childText("body", Ns.CLIENT).orElseThrow());
    assertEquals("his-1", m.child("reply", Ns.REPLY).orElseThrow().attr("id"), "his own stanza id");
    assertEquals("Juliet", m.childText("nick", Ns.NICK).orElseThrow());
    assertTrue(m.child("request", Ns.RECEIPTS).isPresent());
    assertTrue(m.child("markable", Ns.MARKERS).isPresent());
    assertEquals("juliet@parlor.example", OUT.message(from("@juliet", new Content.Text("x")), ROMEO, "k").attr("from"));
  }

  @Test
  void reactionCorrectionRetractionAndMedia() throws Exception {
    Xml.Element r = rendered(from("@juliet", new Content.Reaction(MessageId.of("p.g-7"), "\uD83D\uDC4D")));
    assertEquals("p.g-7", r.child("reactions", Ns.REACTIONS).orElseThrow().attr("id"));
    assertEquals("\uD83D\uDC4D", r.child("reactions", Ns.REACTIONS).orElseThrow().childText("reaction", Ns.REACTIONS).orElseThrow());
    assertTrue(r.child("body", Ns.CLIENT).isEmpty() && r.child("request", Ns.RECEIPTS).isEmpty());
    Xml.Element edit = rendered(from("@juliet", new Content.Edit(MessageId.of("p.g-7"), "fixed")));
    assertEquals("p.g-7", edit.child("replace", Ns.CORRECT).orElseThrow().attr("id"));
    Xml.Element del = rendered(from("@juliet", new Content.Delete(MessageId.of("p.g-7"))));
    assertEquals("p.g-7", del.child("retract", Ns.RETRACT).orElseThrow().attr("id"));
    assertEquals(Ns.RETRACT, del.child("fallback", Ns.FALLBACK).orElseThrow().attr("for"));
    Xml.Element media = rendered(from("@juliet", Content.Media.atUrl(Content.MediaKind.IMAGE, "https://cdn.example/p.jpg",
        "image/jpeg", null, null)));
    assertEquals("https://cdn.example/p.jpg", media.child("x", Ns.OOB).orElseThrow().childText("url", Ns.OOB).orElseThrow());
    assertEquals("https://cdn.example/p.jpg", media.childText("body", Ns.CLIENT).orElseThrow(), "clients inline a body that is the URL");
  }

  @Test
  void whatTheUserReactsToAndCorrectsReadsBackToTheSameIds() throws Exception {
    // round trip: what Parlor renders, a client answering it, what Inbound makes of the answer
    Xml.Element delivered = rendered(from("@juliet", new Content.Text("hi")));
    String id = delivered.attr("id");
    Xml.Element answer = Xml.parse("<message xmlns='jabber:component:accept' from='romeo@montague.lit/x' to='"
        + delivered.attr("from") + "' id='r9' type='chat'><reactions xmlns='urn:xmpp:reactions:0' id='" + id
        + "'><reaction>\u2764</reaction></reactions></message>");
    Content.Reaction back = (Content.Reaction) ((Inbound.Message) InboundTest.IN.read(answer, Instant.now())).envelope().content();
    assertEquals(MessageId.of(id), back.target());
  }

  @Test
  void omemoGoesOutAsTheElementItCameAsWithItsNoticeAndAnythingElseIsRefused() throws Exception {
    String enc = "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><iv>AA==</iv></header><payload>AA==</payload></encrypted>";
    Xml.Element m = rendered(from("@juliet", new Content.Encrypted("omemo", enc.getBytes(StandardCharsets.UTF_8))));
    assertEquals(Xml.parse(enc), m.child("encrypted", Ns.OMEMO_LEGACY).orElseThrow());
    assertEquals(Ns.OMEMO_LEGACY, m.child("encryption", Ns.EME).orElseThrow().attr("namespace"));
    PermanentDeliveryException e = assertThrows(PermanentDeliveryException.class, () -> OUT.message(from("@juliet",
        new Content.Encrypted("omemo", "<body>not omemo</body>".getBytes(StandardCharsets.UTF_8))), ROMEO, "k"));
    assertEquals(PermanentDeliveryException.Reason.CONTENT_REJECTED, e.reason());
    assertThrows(PermanentDeliveryException.class, () -> OUT.message(Envelope.of(MessageId.of("g"), Address.of("xmpp:x@y.z"),
        ROMEO, Instant.now(), new Content.Text("x")), ROMEO, "k"), "an account is never shown");
  }

  @Test
  void statusesAreReceiptsMarkersAndErrorsNamingHerStanza() throws Exception {
    Instant now = Instant.now();
    MessageId id = MessageId.of("x");
    Xml.Element delivered = Outbound.status(new StatusReport(id, StatusReport.Status.DELIVERED, "", now), "j@p", "r@m", "s1");
    assertEquals("s1", delivered.child("received", Ns.RECEIPTS).orElseThrow().attr("id"));
    Xml.Element read = Outbound.status(new StatusReport(id, StatusReport.Status.READ, "", now), "j@p", "r@m", "s1");
    assertEquals("s1", read.child("displayed", Ns.MARKERS).orElseThrow().attr("id"));
    Xml.Element failed = Outbound.status(new StatusReport(id, StatusReport.Status.FAILED, "recipient_unknown", now), "j@p", "r@m", "s1");
    assertEquals("error", failed.attr("type"));
    assertEquals("s1", failed.attr("id"));
    Xml.Element error = failed.child("error", Ns.CLIENT).orElseThrow();
    assertInstanceOf(Xml.Element.class, error.child("recipient-unavailable", Ns.STANZAS).orElseThrow());
    assertTrue(error.childText("text", Ns.STANZAS).orElseThrow().contains("recipient_unknown"));
  }
}
