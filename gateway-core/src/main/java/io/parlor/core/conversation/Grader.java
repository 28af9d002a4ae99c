package io.parlor.core.conversation;

import io.parlor.core.store.MessageRefs;
import io.parlor.spi.Capabilities;
import io.parlor.spi.StatusReport;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.ContentKind;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;

/**
 * Grades a queued message for one destination (contract part 2, section 3): each content kind is
 * carried natively where the destination shows it and its references translate, else as a text
 * fallback, else dropped — never silently (the sender's status says which). The core grades;
 * adapters only map what their platform shows. Pure and thread-safe.
 *
 * <table>
 *   <tr><th>kind</th><th>native when</th><th>else</th></tr>
 *   <tr><td>media</td><td>destination shows media</td><td>text: caption and the link; encrypted media: dropped</td></tr>
 *   <tr><td>reaction</td><td>shows reactions, target translates</td><td>text {@code 👍 to "…"}; removals, or the recipient
 *       turned reaction fallbacks off: dropped</td></tr>
 *   <tr><td>edit</td><td>shows edits, target translates</td><td>text {@code ✏️ "new text"}</td></tr>
 *   <tr><td>delete</td><td>shows deletes, target translates</td><td>dropped ({@code delete_unsupported}); nothing to
 *       do when the target never reached the recipient</td></tr>
 *   <tr><td>location</td><td>shows locations</td><td>text with a {@code geo:} URI</td></tr>
 *   <tr><td>replyTo</td><td>carries replies, reference translates</td><td>left out (the message still goes)</td></tr>
 * </table>
 */
public final class Grader {
  /** How many characters of the target a reaction fallback quotes. */
  static final int QUOTE = 40;

  private Grader() {}

  /**
   * What the destination needs to know besides its capabilities.
   *
   * @param replyTo the answered message as the destination knows it, or null (unknown there)
   * @param target the acted-on message as the destination knows it, or null
   * @param reactionFallback the recipient takes reactions as text
   * @param quote the start of the target's text as {@link #quote} cut it, or null when unknown
   */
  public record Context(MessageId replyTo, MessageId target, boolean reactionFallback, String quote) {}

  /**
   * Grades {@code stored} (the envelope as queued; held media already replaced by a URL).
   *
   * @param refs the message's references (for a delete whose target never reached the recipient)
   */
  public static Graded grade(Envelope stored, MessageRefs refs, Capabilities caps, Context cx) {
    Envelope e = stored.withReplyTo(cx.replyTo() != null && caps.replies().carries() ? cx.replyTo() : null);
    Content content = e.content();
    switch (content.kind()) {
      case TEXT:
      case ENCRYPTED:
        return new Graded.Send(e, null);
      case MEDIA:
        return media(e, (Content.Media) content, caps);
      case REACTION:
        return reaction(e, (Content.Reaction) content, refs, caps, cx);
      case EDIT:
        Content.Edit edit = (Content.Edit) content;
        if (caps.shows(ContentKind.EDIT) && cx.target() != null) {
          return nativeSend(e.withContent(new Content.Edit(cx.target(), edit.text())));
        }
        return fallback(e, "\u270F\uFE0F \"" + edit.text() + "\"", caps);
      case DELETE:
        if (refs.targetRemoved()) {
          return new Graded.Skip(StatusReport.Status.DELIVERED, "");
        }
        if (caps.shows(ContentKind.DELETE) && cx.target() != null) {
          return nativeSend(e.withContent(new Content.Delete(cx.target())));
        }
        return new Graded.Skip(StatusReport.Status.FAILED, Graded.Skip.DELETE_UNSUPPORTED);
      case LOCATION:
      default:
        Content.Location l = (Content.Location) content;
        if (caps.shows(ContentKind.LOCATION)) {
          return nativeSend(e);
        }
        return fallback(e, "\uD83D\uDCCD " + (l.name() == null ? "" : l.name() + " ") + l.geoUri(), caps);
    }
  }

  private static Graded media(Envelope e, Content.Media m, Capabilities caps) {
    if (caps.shows(ContentKind.MEDIA)) {
      return nativeSend(e);
    }
    if (m.encryption() != null || m.url() == null) {
      return new Graded.Skip(StatusReport.Status.FAILED, Graded.Skip.UNSUPPORTED);
    }
    String label = m.mediaKind().label() + (m.name() == null ? "" : " " + m.name());
    String text = (m.caption() == null ? "" : m.caption() + "\n") + label + ": " + m.url();
    return fallback(e, text, caps);
  }

  private static Graded reaction(
      Envelope e, Content.Reaction r, MessageRefs refs, Capabilities caps, Context cx) {
    if (caps.shows(ContentKind.REACTION) && cx.target() != null) {
      return nativeSend(e.withContent(new Content.Reaction(cx.target(), r.emoji())));
    }
    if (r.removal() || !cx.reactionFallback()) {
      return new Graded.Skip(StatusReport.Status.FAILED, Graded.Skip.UNSUPPORTED);
    }
    String what;
    if (cx.quote() != null) {
      what = "\"" + cx.quote() + "\"";
    } else {
      boolean theirs = refs.target() != null && refs.target().author() == MessageRefs.Author.RECIPIENT;
      what = theirs ? "your message" : "a message";
    }
    return fallback(e, r.emoji() + " to " + what, caps);
  }

  /**
   * The first {@value #QUOTE} characters (code points) of {@code text} on one line (blanks
   * collapsed, ends stripped), with an ellipsis when cut. (Public for {@code bench/}'s MessageBench.)
   */
  public static String quote(String text) {
    // what text.replaceAll("\\s+", " ").strip() would give, cut to QUOTE code points, in one pass
    // that stops at the cut (it runs for every plaintext message; the text may be long)
    StringBuilder out = new StringBuilder(QUOTE + 1);
    int taken = 0;
    boolean started = false;
    for (int i = 0, len = text.length(); i < len; ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      if (asciiSpace(cp)) { // a run of them is one space
        while (i < len && asciiSpace(text.charAt(i))) {
          i++;
        }
        cp = ' ';
      }
      if (!started && Character.isWhitespace(cp)) {
        continue;
      }
      started = true;
      if (taken == QUOTE) {
        if (!Character.isWhitespace(cp)) {
          return out.append('\u2026').toString(); // more to say after the cut
        }
        continue; // only trailing blanks so far: they would be stripped
      }
      out.appendCodePoint(cp);
      taken++;
    }
    int end = out.length();
    while (end > 0 && Character.isWhitespace(out.codePointBefore(end))) {
      end -= Character.charCount(out.codePointBefore(end));
    }
    return out.substring(0, end);
  }

  /** What {@code \s} matches (ASCII blanks only, as in {@link java.util.regex.Pattern}'s default). */
  private static boolean asciiSpace(int c) {
    return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
  }

  private static Graded nativeSend(Envelope e) {
    return new Graded.Send(e, StatusReport.Grade.NATIVE);
  }

  /** The fallback text, cut to what the destination accepts. */
  private static Graded fallback(Envelope e, String text, Capabilities caps) {
    int max = caps.maxTextLength();
    if (text.codePointCount(0, text.length()) > max) {
      text = text.substring(0, text.offsetByCodePoints(0, max - 1)) + "\u2026";
    }
    return new Graded.Send(e.withContent(new Content.Text(text)), StatusReport.Grade.FALLBACK);
  }
}
