package io.parlor.adapter.xmpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import javax.xml.stream.XMLStreamException;
import org.junit.jupiter.api.Test;

/** The stream reader refuses what could hurt the node; the writer escapes what it is given. */
class XmlTest {
  static Xml.StreamReader stream(String xml) throws IOException {
    return new Xml.StreamReader(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void stanzasComeOneAtATimeAfterTheStreamOpens() throws Exception {
    try (Xml.StreamReader r = stream("<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
        + "xmlns:stream='http://etherx.jabber.org/streams' id='3BF96D32' from='parlor.example'>"
        + "<handshake/><message to='a@b.c' id='1'><body>hi &amp; bye</body></message></stream:stream>")) {
      Xml.Element open = r.open();
      assertEquals("stream", open.name());
      assertEquals("3BF96D32", open.attr("id"));
      assertEquals("handshake", r.next().orElseThrow().name());
      Xml.Element m = r.next().orElseThrow();
      assertEquals("hi & bye", m.childText("body", "jabber:component:accept").orElseThrow());
      assertTrue(r.next().isEmpty(), "the stream closed");
    }
  }

  @Test
  void aDoctypeOrEntityIsRefused() throws Exception {
    try (Xml.StreamReader r = stream("<!DOCTYPE lol [<!ENTITY lol 'lol'>]><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>"
        + "<message><body>&lol;</body></message>")) {
      assertThrows(IOException.class, () -> {
        r.open();
        r.next();
      });
    }
  }

  @Test
  void aDeepOrHugeStanzaIsRefused() throws Exception {
    String deep = "<a>".repeat(Xml.MAX_DEPTH + 1) + "</a>".repeat(Xml.MAX_DEPTH + 1);
    assertThrows(XMLStreamException.class, () -> Xml.parse(deep));
    String huge = "<a>" + "x".repeat(Xml.MAX_STANZA_CHARS + 1) + "</a>";
    XMLStreamException e = assertThrows(XMLStreamException.class, () -> Xml.parse(huge));
    assertTrue(e.getMessage().contains("larger"), e.getMessage());
  }

  @Test
  void theWriterEscapesTextAndAttributesAndDropsWhatXmlCannotCarry() throws Exception {
    Xml.Element e = Xml.el("message", "jabber:component:accept").attr("to", "a'b\"<c>@d")
        .child(Xml.el("body", "jabber:component:accept").text("</body><x/>&\u0001")).build();
    String xml = e.toXml("");
    assertEquals(e.attr("to"), Xml.parse(xml).attr("to"));
    assertEquals("</body><x/>&", Xml.parse(xml).childText("body", "jabber:component:accept").orElseThrow());
  }

  @Test
  void theHandshakeIsTheSha1OfStreamIdAndSecret() {
    // XEP-0114 section 3: lowercase hex of SHA-1(stream id + secret); Prosody checks it for real in XmppComponentIT
    assertEquals(sha1Hex("3BF96D32secret"), ComponentLink.handshake("3BF96D32", "secret"));
  }

  private static String sha1Hex(String s) {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
