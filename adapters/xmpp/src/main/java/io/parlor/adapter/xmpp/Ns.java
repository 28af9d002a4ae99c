package io.parlor.adapter.xmpp;

/** The XML namespaces of the XMPP extensions the adapter maps. */
final class Ns {
  private Ns() {}

  static final String CLIENT = ComponentLink.ACCEPT;
  static final String STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
  /** XEP-0184 message delivery receipts. */
  static final String RECEIPTS = "urn:xmpp:receipts";
  /** XEP-0333 chat markers. */
  static final String MARKERS = "urn:xmpp:chat-markers:0";
  /** XEP-0085 chat states. */
  static final String CHAT_STATES = "http://jabber.org/protocol/chatstates";
  /** XEP-0308 last message correction. */
  static final String CORRECT = "urn:xmpp:message-correct:0";
  /** XEP-0424 message retraction, version 1 (0.4 and later). */
  static final String RETRACT = "urn:xmpp:message-retract:1";
  /** XEP-0424 before 0.4: a retraction inside a XEP-0422 fastening. */
  static final String RETRACT_0 = "urn:xmpp:message-retract:0";
  static final String FASTEN = "urn:xmpp:fasten:0";
  /** XEP-0444 message reactions. */
  static final String REACTIONS = "urn:xmpp:reactions:0";
  /** XEP-0461 message replies. */
  static final String REPLY = "urn:xmpp:reply:0";
  /** XEP-0428 fallback indication. */
  static final String FALLBACK = "urn:xmpp:fallback:0";
  /** XEP-0066 out-of-band data (what XEP-0363 uploads are shared with). */
  static final String OOB = "jabber:x:oob";
  /** XEP-0359 unique and stable stanza ids. */
  static final String SID = "urn:xmpp:sid:0";
  /** XEP-0334 message processing hints. */
  static final String HINTS = "urn:xmpp:hints";
  /** XEP-0172 user nickname. */
  static final String NICK = "http://jabber.org/protocol/nick";
  /** XEP-0380 explicit message encryption. */
  static final String EME = "urn:xmpp:eme:0";
  /** OMEMO as deployed (XEP-0384 0.3, Conversations' namespace). */
  static final String OMEMO_LEGACY = "eu.siacs.conversations.axolotl";
  /** OMEMO 2 (XEP-0384 0.8 and later). */
  static final String OMEMO_2 = "urn:xmpp:omemo:2";
  static final String DISCO_INFO = "http://jabber.org/protocol/disco#info";
  static final String PING = "urn:xmpp:ping";

  /** The scheme name Parlor gives OMEMO ciphertexts of each namespace. */
  static String scheme(String omemoNs) {
    return omemoNs.equals(OMEMO_2) ? "omemo2" : "omemo";
  }

  static String omemoNamespace(String scheme) {
    return scheme.equals("omemo2") ? OMEMO_2 : OMEMO_LEGACY;
  }
}
