package io.parlor.spi.envelope;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Something a person did in a conversation that is not a message (contract part 2, section 4): a
 * read receipt, a typing indicator or a change of the conversation's disappearing-messages timer.
 * Events take a path of their own: a typing indicator is never stored and never retried; a read
 * receipt becomes a {@code read} status towards the network of the message's sender; a timer
 * change sets the thread's timer, announced to both sides. Immutable; validated on construction, naming the bad field.
 */
public sealed interface Event permits Event.Read, Event.Typing, Event.Timer, Event.Report {

  /** Who did it: an account of the network that reports the event. */
  Address from();

  /** The address the reporting network shows for the other party, when it tells it; may be null. */
  Address to();

  default Optional<Address> toOpt() {
    return Optional.ofNullable(to());
  }

  /** Which kind this is. */
  EventKind kind();

  /**
   * {@code from} read messages it received: those named in {@code ids} (as the reporting network
   * knows them), or — for networks that report a watermark (Messenger) — every message it
   * received up to {@code watermark}.
   *
   * @param from the reader
   * @param to the address the reader's network shows for the sender, or null
   * @param ids the messages read (1-100), or empty with a {@code watermark}
   * @param watermark every message delivered to {@code from} until then is read, or null
   * @param at when they were read
   */
  record Read(Address from, Address to, List<MessageId> ids, Instant watermark, Instant at) implements Event {
    public static final int MAX_IDS = 100;

    public Read {
      if (from == null) {
        throw new EnvelopeException("from", "is required");
      }
      ids = ids == null ? List.of() : List.copyOf(ids);
      if (ids.isEmpty() && watermark == null) {
        throw new EnvelopeException("ids", "must name 1 to " + MAX_IDS + " message ids");
      }
      if (ids.size() > MAX_IDS) {
        throw new EnvelopeException("ids", "must name 1 to " + MAX_IDS + " message ids");
      }
      Objects.requireNonNull(at, "at");
    }

    @Override
    public EventKind kind() {
      return EventKind.READ;
    }
  }

  /**
   * {@code from} started or stopped typing to {@code to}.
   *
   * @param from who types
   * @param to the address their network shows for the other party (required)
   * @param on true for started, false for stopped
   */
  record Typing(Address from, Address to, boolean on) implements Event {
    public Typing {
      if (from == null) {
        throw new EnvelopeException("from", "is required");
      }
      if (to == null) {
        throw new EnvelopeException("to", "is required");
      }
    }

    @Override
    public EventKind kind() {
      return EventKind.TYPING;
    }
  }

  /**
   * {@code from} set the disappearing-messages timer of their conversation with {@code to}: new
   * messages of the thread disappear {@code seconds} after they are sent; null turns it off for
   * {@code from}. Each side has its own setting and the shorter wins.
   *
   * @param from who set it
   * @param to the address their network shows for the other party (required)
   * @param seconds 1 to {@link io.parlor.spi.envelope.Timer#MAX_SECONDS}, or null for off
   */
  record Timer(Address from, Address to, Long seconds) implements Event {
    public Timer {
      if (from == null) {
        throw new EnvelopeException("from", "is required");
      }
      if (to == null) {
        throw new EnvelopeException("to", "is required");
      }
      if (seconds != null && (seconds < 1 || seconds > io.parlor.spi.envelope.Timer.MAX_SECONDS)) {
        throw new EnvelopeException("seconds", "must be null (off) or whole seconds from 1 to "
            + io.parlor.spi.envelope.Timer.MAX_SECONDS);
      }
    }

    @Override
    public EventKind kind() {
      return EventKind.TIMER;
    }
  }

  /**
   * {@code from} reports a message they received ({@code id}, as their network knows it) as
   * abuse. The report names no content unless the reporter attaches it ({@code attachment}: a
   * JSON object the reporter chose to reveal, forwarded as is, never stored).
   *
   * @param from the reporter
   * @param id the message reported, as the reporter's network knows it
   * @param reason one of {@link #REASONS}
   * @param attachment a JSON object text the reporter attached (at most {@link #MAX_ATTACHMENT}
   *     characters), or null
   * @param franking for an end-to-end encrypted message that was franked: what the reporter reveals
   *     of it to prove what it said, or null
   */
  record Report(Address from, MessageId id, String reason, String attachment, Opening franking) implements Event {
    /**
     * The opening of a franked message ({@link Content.Franking}): its plaintext, the franking key,
     * and the commitment, tag and time delivered with it.
     */
    public record Opening(byte[] plaintext, byte[] key, byte[] commitment, String tag, Instant at) {
      public Opening {
        for (Object[] f : new Object[][] {{"plaintext", plaintext}, {"key", key}, {"commitment", commitment},
            {"tag", tag}, {"at", at}}) {
          if (f[1] == null) {
            throw new EnvelopeException("franking." + f[0], "is required");
          }
        }
      }
    }

    /** Without franking. */
    public Report(Address from, MessageId id, String reason, String attachment) {
      this(from, id, reason, attachment, null);
    }

    /** The reasons a report may give. */
    public static final java.util.List<String> REASONS = java.util.List.of("spam", "abuse", "scam", "other");
    /** The longest attachment, in characters. */
    public static final int MAX_ATTACHMENT = 16 * 1024;

    public Report {
      if (from == null) {
        throw new EnvelopeException("from", "is required");
      }
      if (id == null) {
        throw new EnvelopeException("id", "is required: the message reported, as your network knows it");
      }
      reason = reason == null ? "other" : reason;
      if (!REASONS.contains(reason)) {
        throw new EnvelopeException("reason", "must be one of " + String.join(", ", REASONS));
      }
      if (attachment != null && attachment.length() > MAX_ATTACHMENT) {
        throw new EnvelopeException("content", "must be at most " + MAX_ATTACHMENT + " characters of JSON");
      }
    }

    @Override
    public Address to() {
      return null;
    }

    @Override
    public EventKind kind() {
      return EventKind.REPORT;
    }
  }
}
