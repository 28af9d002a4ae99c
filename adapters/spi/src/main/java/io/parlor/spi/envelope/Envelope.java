package io.parlor.spi.envelope;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The canonical message form (contract section 3.1, and part 2 for version 2: the content kinds
 * of {@link ContentKind} and {@code fromName}). Immutable; validated on construction, so an {@code
 * Envelope} that exists is well formed.
 *
 * @param id unique per source network
 * @param from the sender: an account address ({@code network:account}), or, on messages the
 *     gateway delivers, the handle the recipient may see
 * @param to the recipient: account address, {@code @handle} or {@code ~relay} handle
 * @param sentAt when the sender sent it (UTC)
 * @param content text or opaque encrypted payload
 * @param timer optional disappearing timer, may be null
 * @param replyTo optional id of the message this one answers, may be null
 * @param expiresAt set by the gateway when a timer applies, may be null
 * @param plaintextFallback the sender allows this message to take a plaintext leg (e.g. SMS) even
 *     in a thread that has been end-to-end encrypted (the recipient must allow it too)
 * @param fromName on messages the gateway delivers: the display name the sender chose to show
 *     (1-64 characters), or null
 * @param group on messages the gateway delivers to a member of a group (contract part 2, section
 *     5): the group as this member sees it, or null
 * @param system on messages the gateway delivers: written by the node itself ({@code @parlor}),
 *     e.g. a group's membership change
 */
public record Envelope(
    MessageId id,
    Address from,
    Address to,
    Instant sentAt,
    Content content,
    Timer timer,
    MessageId replyTo,
    Instant expiresAt,
    boolean plaintextFallback,
    String fromName,
    Group group,
    boolean system) {

  /**
   * A group as one member sees it: {@code id} is the address this member's networks write to
   * (a relay handle of their own), {@code name} the group's name (1-64 characters).
   */
  public record Group(Address id, String name) {
    public Group {
      if (id == null) {
        throw new EnvelopeException("group.id", "is required");
      }
      if (!validName(name)) {
        throw new EnvelopeException("group.name", "must be 1-" + MAX_NAME + " characters without control characters");
      }
    }

    /**
     * How networks that show one identity for everyone write who said it in this group: {@code
     * "[Climbing] " + sender}.
     */
    public String label(String sender) {
      return "[" + name + "] " + sender;
    }
  }

  /** An envelope outside any group. */
  public Envelope(
      MessageId id,
      Address from,
      Address to,
      Instant sentAt,
      Content content,
      Timer timer,
      MessageId replyTo,
      Instant expiresAt,
      boolean plaintextFallback,
      String fromName) {
    this(id, from, to, sentAt, content, timer, replyTo, expiresAt, plaintextFallback, fromName, null, false);
  }

  /** Longest display name. */
  public static final int MAX_NAME = 64;

  /** An envelope without a display name. */
  public Envelope(
      MessageId id,
      Address from,
      Address to,
      Instant sentAt,
      Content content,
      Timer timer,
      MessageId replyTo,
      Instant expiresAt,
      boolean plaintextFallback) {
    this(id, from, to, sentAt, content, timer, replyTo, expiresAt, plaintextFallback, null);
  }

  /** An envelope without the plaintext-fallback permission. */
  public Envelope(
      MessageId id,
      Address from,
      Address to,
      Instant sentAt,
      Content content,
      Timer timer,
      MessageId replyTo,
      Instant expiresAt) {
    this(id, from, to, sentAt, content, timer, replyTo, expiresAt, false);
  }

  public Envelope {
    if (id == null) {
      throw new EnvelopeException("id", "is required");
    }
    if (from == null) {
      throw new EnvelopeException("from", "is required");
    }
    if (to == null) {
      throw new EnvelopeException("to", "is required");
    }
    if (sentAt == null) {
      throw new EnvelopeException("sentAt", "is required");
    }
    if (content == null) {
      throw new EnvelopeException("content", "is required");
    }
    if (fromName != null && !validName(fromName)) {
      throw new EnvelopeException("fromName", "must be 1-" + MAX_NAME + " characters without control characters");
    }
  }

  /** Whether {@code name} can be a display name: 1-64 characters, no control characters. */
  public static boolean validName(String name) {
    if (name == null || name.isBlank() || name.length() > MAX_NAME) {
      return false;
    }
    return name.chars().noneMatch(Character::isISOControl);
  }

  /** 2 when the envelope uses anything of version 2 (a v2 content kind, a display name, a group), else 1. */
  public int version() {
    return content.kind().v2() || fromName != null || group != null || system ? 2 : 1;
  }

  /** A new envelope without timer, replyTo or expiry. */
  public static Envelope of(MessageId id, Address from, Address to, Instant sentAt, Content content) {
    return new Envelope(id, from, to, sentAt, content, null, null, null);
  }

  public Optional<Timer> timerOpt() {
    return Optional.ofNullable(timer);
  }

  public Optional<MessageId> replyToOpt() {
    return Optional.ofNullable(replyTo);
  }

  public Optional<Instant> expiresAtOpt() {
    return Optional.ofNullable(expiresAt);
  }

  public Envelope withId(MessageId newId) {
    return new Envelope(newId, from, to, sentAt, content, timer, replyTo, expiresAt, plaintextFallback, fromName, group, system);
  }

  public Envelope withFrom(Address newFrom) {
    return new Envelope(id, newFrom, to, sentAt, content, timer, replyTo, expiresAt, plaintextFallback, fromName, group, system);
  }

  public Envelope withTo(Address newTo) {
    return new Envelope(id, from, newTo, sentAt, content, timer, replyTo, expiresAt, plaintextFallback, fromName, group, system);
  }

  public Envelope withExpiresAt(Instant newExpiresAt) {
    return new Envelope(id, from, to, sentAt, content, timer, replyTo, newExpiresAt, plaintextFallback, fromName, group, system);
  }

  public Envelope withReplyTo(MessageId newReplyTo) {
    return new Envelope(id, from, to, sentAt, content, timer, newReplyTo, expiresAt, plaintextFallback, fromName, group, system);
  }

  public Envelope withContent(Content newContent) {
    return new Envelope(id, from, to, sentAt, newContent, timer, replyTo, expiresAt, plaintextFallback, fromName, group, system);
  }

  public Envelope withTimer(Timer newTimer) {
    return new Envelope(id, from, to, sentAt, content, newTimer, replyTo, expiresAt, plaintextFallback, fromName, group, system);
  }

  public Envelope withFromName(String newFromName) {
    return new Envelope(id, from, to, sentAt, content, timer, replyTo, expiresAt, plaintextFallback, newFromName, group, system);
  }

  /** The envelope as delivered to a group member ({@code group}), or outside groups (null). */
  public Envelope withGroup(Group newGroup) {
    return new Envelope(id, from, to, sentAt, content, timer, replyTo, expiresAt, plaintextFallback, fromName, newGroup, system);
  }

  /** The envelope marked as written by the node itself, or not. */
  public Envelope withSystem(boolean newSystem) {
    return new Envelope(id, from, to, sentAt, content, timer, replyTo, expiresAt, plaintextFallback, fromName, group, newSystem);
  }

  public Optional<Group> groupOpt() {
    return Optional.ofNullable(group);
  }

  public Optional<String> fromNameOpt() {
    return Optional.ofNullable(fromName);
  }

  /** Whether the message must not be delivered any more at {@code now}. */
  public boolean isExpiredAt(Instant now) {
    Objects.requireNonNull(now);
    return expiresAt != null && !now.isBefore(expiresAt);
  }

  @Override
  public String toString() {
    // Never print addresses or content: toString ends up in logs.
    return "Envelope[id=" + id + ", content=" + content.getClass().getSimpleName() + "]";
  }
}
