package io.parlor.adapter.xmpp;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * The little XML an XMPP stream needs: an immutable element tree, a reader that takes one stanza
 * at a time off a stream (the JDK's StAX parser, with DTDs and external entities off), and a
 * writer that escapes everything it is given.
 */
final class Xml {
  private Xml() {}

  /** Deepest nesting a stanza may have. */
  static final int MAX_DEPTH = 32;
  /** Most characters of text and attributes one stanza may carry. */
  static final int MAX_STANZA_CHARS = 256 * 1024;

  /** An element: name, namespace, attributes in order, child elements and its own text. */
  record Element(String name, String ns, Map<String, String> attrs, List<Element> children, String text) {
    Element {
      Objects.requireNonNull(name, "name");
      ns = ns == null ? "" : ns;
      attrs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(attrs));
      children = List.copyOf(children);
      text = text == null ? "" : text;
    }

    String attr(String key) {
      return attrs.get(key);
    }

    Optional<Element> child(String childName, String childNs) {
      for (Element c : children) {
        if (c.name.equals(childName) && c.ns.equals(childNs)) {
          return Optional.of(c);
        }
      }
      return Optional.empty();
    }

    /** The first child in {@code childNs}, whatever its name. */
    Optional<Element> childIn(String childNs) {
      return children.stream().filter(c -> c.ns.equals(childNs)).findFirst();
    }

    List<Element> childrenNamed(String childName, String childNs) {
      return children.stream().filter(c -> c.name.equals(childName) && c.ns.equals(childNs)).toList();
    }

    Optional<String> childText(String childName, String childNs) {
      return child(childName, childNs).map(Element::text);
    }

    /** The element as XML, its namespace declared where it differs from {@code parentNs}. */
    String toXml(String parentNs) {
      StringBuilder b = new StringBuilder();
      write(b, parentNs);
      return b.toString();
    }

    private void write(StringBuilder b, String parentNs) {
      b.append('<').append(name);
      if (!ns.equals(parentNs)) {
        b.append(" xmlns='").append(escape(ns)).append('\'');
      }
      for (Map.Entry<String, String> a : attrs.entrySet()) {
        b.append(' ').append(a.getKey()).append("='").append(escape(a.getValue())).append('\'');
      }
      if (children.isEmpty() && text.isEmpty()) {
        b.append("/>");
        return;
      }
      b.append('>').append(escape(text));
      for (Element c : children) {
        c.write(b, ns);
      }
      b.append("</").append(name).append('>');
    }
  }

  /** A fluent way to build an element. */
  static final class Builder {
    private final String name;
    private final String ns;
    private final Map<String, String> attrs = new LinkedHashMap<>();
    private final List<Element> children = new ArrayList<>();
    private String text = "";

    Builder(String name, String ns) {
      this.name = name;
      this.ns = ns;
    }

    Builder attr(String key, String value) {
      if (value != null) {
        attrs.put(key, value);
      }
      return this;
    }

    Builder child(Element e) {
      children.add(e);
      return this;
    }

    Builder child(Builder e) {
      return child(e.build());
    }

    Builder text(String value) {
      text = value == null ? "" : value;
      return this;
    }

    Element build() {
      return new Element(name, ns, attrs, children, text);
    }
  }

  static Builder el(String name, String ns) {
    return new Builder(name, ns);
  }

  /** Escapes text and attribute values; drops characters XML 1.0 cannot carry. */
  static String escape(String s) {
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '\'' -> b.append("&apos;");
        case '"' -> b.append("&quot;");
        default -> {
          if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0xFFFE || c == 0xFFFF) {
            continue; // not allowed in XML 1.0
          }
          b.append(c);
        }
      }
    }
    return b.toString();
  }

  /** Parses one element from text (a stored or delivered fragment). */
  static Element parse(String xml) throws XMLStreamException {
    XMLStreamReader r = factory().createXMLStreamReader(new java.io.StringReader(xml));
    try {
      while (r.hasNext()) {
        if (r.next() == XMLStreamConstants.START_ELEMENT) {
          return new StreamReader.Reading(r).element(0);
        }
      }
      throw new XMLStreamException("no element");
    } finally {
      r.close();
    }
  }

  private static XMLInputFactory factory() {
    XMLInputFactory f = XMLInputFactory.newFactory();
    f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
    f.setProperty(XMLInputFactory.IS_COALESCING, true);
    // The JDK counts every character reference (&amp; &apos; ...) towards limits meant for one
    // document; an XMPP stream is one document for the life of the connection, so they would end
    // it after enough escaped characters. DTDs are off and each stanza is bounded above instead.
    for (String limit : new String[] {"jdk.xml.totalEntitySizeLimit", "jdk.xml.maxGeneralEntitySizeLimit",
        "http://www.oracle.com/xml/jaxp/properties/totalEntitySizeLimit",
        "http://www.oracle.com/xml/jaxp/properties/maxGeneralEntitySizeLimit"}) {
      try {
        f.setProperty(limit, "0");
      } catch (IllegalArgumentException e) {
        // this JDK does not know that name
      }
    }
    return f;
  }

  /**
   * Reads an XMPP stream: its opening element, then one top-level child (a stanza) at a time.
   * Blocks on the socket; one thread reads.
   */
  static final class StreamReader implements AutoCloseable {
    private final XMLStreamReader r;

    StreamReader(InputStream in) throws IOException {
      try {
        r = factory().createXMLStreamReader(in, "UTF-8");
      } catch (XMLStreamException e) {
        throw new IOException("cannot read the XMPP stream: " + e.getMessage(), e);
      }
    }

    /** Reads up to the stream's opening element and returns it (without children). */
    Element open() throws IOException {
      try {
        while (r.hasNext()) {
          if (r.next() == XMLStreamConstants.START_ELEMENT) {
            Map<String, String> attrs = new LinkedHashMap<>();
            for (int i = 0; i < r.getAttributeCount(); i++) {
              attrs.put(r.getAttributeLocalName(i), r.getAttributeValue(i));
            }
            return new Element(r.getLocalName(), r.getNamespaceURI(), attrs, List.of(), "");
          }
        }
        throw new IOException("the stream ended before it opened");
      } catch (XMLStreamException e) {
        throw new IOException("bad XML from the server: " + e.getMessage(), e);
      }
    }

    /** The next stanza, or empty when the stream closed. */
    Optional<Element> next() throws IOException {
      try {
        while (r.hasNext()) {
          int ev = r.next();
          if (ev == XMLStreamConstants.START_ELEMENT) {
            return Optional.of(new Reading(r).element(0));
          }
          if (ev == XMLStreamConstants.END_ELEMENT || ev == XMLStreamConstants.END_DOCUMENT) {
            return Optional.empty(); // </stream:stream>
          }
        }
        return Optional.empty();
      } catch (XMLStreamException e) {
        if (e.getNestedException() instanceof IOException io) {
          throw io; // the connection, not the XML
        }
        String detail = e.getMessage() == null ? "" : e.getMessage().replaceAll("\\s+", " ");
        if (detail.contains("must start and end within the same entity")) {
          throw new IOException("the XMPP server closed the connection", e); // end of input inside the stream
        }
        throw new IOException("the stream from the server broke off or is not XML (" + detail + ")", e);
      }
    }

    @Override
    public void close() {
      try {
        r.close();
      } catch (XMLStreamException e) {
        // nothing left to release
      }
    }

    /** Reads one element, the reader positioned on its start, counting what it takes. */
    static final class Reading {
      private final XMLStreamReader r;
      private int chars;

      Reading(XMLStreamReader r) {
        this.r = r;
      }

      Element element(int depth) throws XMLStreamException {
        if (depth >= MAX_DEPTH) {
          throw new XMLStreamException("a stanza nests deeper than " + MAX_DEPTH);
        }
        String name = r.getLocalName();
        String ns = r.getNamespaceURI();
        Map<String, String> attrs = new LinkedHashMap<>();
        for (int i = 0; i < r.getAttributeCount(); i++) {
          String p = r.getAttributePrefix(i);
          String key = p == null || p.isEmpty() ? r.getAttributeLocalName(i) : p + ":" + r.getAttributeLocalName(i);
          attrs.put(key, count(r.getAttributeValue(i)));
        }
        List<Element> children = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        while (true) {
          int ev = r.next();
          switch (ev) {
            case XMLStreamConstants.START_ELEMENT -> children.add(element(depth + 1));
            case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE ->
                text.append(count(r.getText()));
            case XMLStreamConstants.END_ELEMENT -> {
              return new Element(name, ns, attrs, children, text.toString());
            }
            case XMLStreamConstants.END_DOCUMENT -> throw new XMLStreamException("the stream ended inside a stanza");
            default -> {
              // comments and processing instructions carry nothing
            }
          }
        }
      }

      private String count(String s) throws XMLStreamException {
        chars += s.length();
        if (chars > MAX_STANZA_CHARS) {
          throw new XMLStreamException("a stanza is larger than " + MAX_STANZA_CHARS + " characters");
        }
        return s;
      }
    }
  }
}
