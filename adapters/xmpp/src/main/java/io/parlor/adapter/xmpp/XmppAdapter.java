package io.parlor.adapter.xmpp;

import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterUnavailableException;
import io.parlor.spi.Capabilities;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.EventSender;
import io.parlor.spi.Health;
import io.parlor.spi.HealthState;
import io.parlor.spi.IngressResult;
import io.parlor.spi.Level;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.StatusReceiver;
import io.parlor.spi.StatusReport;
import io.parlor.spi.TransientDeliveryException;
import io.parlor.spi.envelope.ContentKind;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.EventKind;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * An XMPP network, reached as an external component (XEP-0114) of the users' server: people of
 * other networks are JIDs of the component's domain ({@link Jids}); users write to them from any
 * XMPP client. Maps one-to-one chat, replies (XEP-0461), reactions (XEP-0444), corrections
 * (XEP-0308), retractions (XEP-0424), delivery receipts (XEP-0184), displayed markers (XEP-0333),
 * chat states (XEP-0085), media by reference (XEP-0066 out-of-band URLs, as XEP-0363 uploads are
 * shared) and OMEMO ciphertext, carried opaque to a recipient whose client speaks it.
 *
 * <p>XMPP acknowledges nothing to the sender of a message, so the adapter answers a message the
 * core refused (or could not store) with an error stanza naming it, and one the core stored with
 * nothing until its status comes: a receipt, a marker, or an error.
 */
final class XmppAdapter implements Adapter, StatusReceiver, EventSender {
  private static final System.Logger LOG = System.getLogger(XmppAdapter.class.getName());
  /** Senders remembered for statuses other than read (which name the account). */
  static final int SENDERS_REMEMBERED = 10_000;

  private final XmppConfig config;
  private final AdapterContext context;
  private final Jids jids;
  private final Inbound inbound;
  private final Outbound outbound;
  private final ComponentLink link;
  private final Capabilities capabilities;
  private final Map<String, String> senders = new LinkedHashMap<>(256, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > SENDERS_REMEMBERED;
    }
  };
  private volatile Health health;

  XmppAdapter(XmppConfig config, AdapterContext context) {
    this.config = config;
    this.context = context;
    this.jids = new Jids(config.component(), context.networkId(), config.secret());
    this.inbound = new Inbound(jids, config.maxTextLength());
    this.outbound = new Outbound(jids);
    this.health = Health.of(HealthState.STARTING, "not started", context.clock().instant());
    // receipts FULL: "delivered" waits for the client's XEP-0184 receipt (or a bounce says failed);
    // a client that sends none is reported delivered with no_receipt after delivery.receiptWait
    this.capabilities = new Capabilities(Set.of("omemo", "omemo2"), config.maxTextLength(), Level.REJECTED, Level.FULL,
        Level.FULL, List.of(), EnumSet.of(ContentKind.MEDIA, ContentKind.REACTION, ContentKind.EDIT, ContentKind.DELETE),
        EnumSet.of(EventKind.READ, EventKind.TYPING));
    this.link = new ComponentLink(config, context.networkId().value(), this::onStanza, this::onHealth);
    context.metrics().gauge("connected", () -> link.connected() ? 1 : 0);
    context.metrics().gauge("queued", link::queued);
  }

  @Override
  public CompletionStage<Void> start() {
    link.start();
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> stop(Duration grace) {
    link.stop(grace);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public Health health() {
    return health;
  }

  @Override
  public Capabilities capabilities() {
    return capabilities;
  }

  @Override
  public <T> Optional<T> feature(Class<T> type) {
    if (type == StatusReceiver.class || type == EventSender.class) {
      return Optional.of(type.cast(this));
    }
    return Optional.empty();
  }

  private void onHealth(HealthState state, String reason) {
    if (health.state() == state && health.reason().equals(reason)) {
      return;
    }
    health = Health.of(state, reason, context.clock().instant());
    context.healthListener().onHealth(context.networkId(), health);
  }

  @Override
  public CompletionStage<DeliveryResult> deliver(Envelope envelope, DeliveryTarget target) {
    Xml.Element stanza;
    try {
      stanza = outbound.message(envelope, target.recipient(), target.idempotencyKey());
    } catch (PermanentDeliveryException e) {
      return CompletableFuture.failedFuture(e);
    }
    String id = Outbound.stanzaId(target.idempotencyKey());
    return written(link.send(stanza)).thenApply(v -> new DeliveryResult(id));
  }

  /** A write's outcome as a delivery outcome: down or full are worth a retry. */
  private static CompletableFuture<Void> written(CompletableFuture<Void> write) {
    return write.exceptionallyCompose(e -> {
      Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
      return CompletableFuture.failedFuture(cause instanceof ComponentLink.Full
          ? new TransientDeliveryException(cause.getMessage(), Duration.ofSeconds(1), null)
          : new AdapterUnavailableException("the XMPP server is not connected: " + cause.getMessage()));
    });
  }

  @Override
  public CompletionStage<Void> reportStatus(StatusReport report) {
    Optional<String[]> parts = Jids.ownParts(report.id());
    if (parts.isEmpty()) {
      return CompletableFuture.completedFuture(null); // not a message a user sent through this adapter
    }
    String fromJid = parts.get()[0] + "@" + jids.domain();
    String toJid;
    if (report.status() == StatusReport.Status.READ && report.account() != null) {
      toJid = jids.jidOf(report.account());
    } else {
      synchronized (senders) {
        toJid = senders.get(parts.get()[1]);
      }
    }
    if (toJid == null) {
      // a sender not seen since the node started: XMPP has nowhere else to show it
      context.metrics().count("statuses_unshown");
      return CompletableFuture.completedFuture(null);
    }
    return written(link.send(Outbound.status(report, fromJid, toJid, parts.get()[2])));
  }

  @Override
  public CompletionStage<Void> typing(TypingNotice notice) {
    return written(link.send(outbound.typing(notice)));
  }

  /** On the link's reader thread: never blocks it (the core answers asynchronously). */
  private void onStanza(Xml.Element stanza) {
    switch (stanza.name()) {
      case "message" -> onMessage(stanza);
      case "iq" -> onIq(stanza);
      case "presence" -> onPresence(stanza);
      default -> {
        // nothing else is a stanza
      }
    }
  }

  private void onMessage(Xml.Element stanza) {
    Inbound.Result r = inbound.read(stanza, context.clock().instant());
    String user = stanza.attr("from");
    String to = stanza.attr("to");
    context.metrics().count(r instanceof Inbound.Message ? "messages_in" : r instanceof Inbound.Evt ? "events_in"
        : r instanceof Inbound.Receipt ? "receipts_in" : r instanceof Inbound.Bounce ? "refused_in" : "ignored_in");
    if (r instanceof Inbound.Message m) {
      context.inbound().accept(m.envelope()).whenComplete((result, error) -> {
        if (error != null) {
          bounce(to, user, m.stanzaId(), "wait", "resource-constraint", "Parlor could not store the message; send it again later");
        } else if (result instanceof IngressResult.Refused refused) {
          bounce(to, user, m.stanzaId(), refused);
        } else {
          remember(user);
        }
      });
    } else if (r instanceof Inbound.Evt e) {
      context.events().accept(e.event()).whenComplete((result, error) -> {
        if (error != null) {
          LOG.log(System.Logger.Level.DEBUG, "xmpp: an event was not recorded: {0}", error.getClass().getSimpleName());
        }
      });
    } else if (r instanceof Inbound.Receipt receipt) {
      context.receipts().onReceipt(receipt.receipt());
    } else if (r instanceof Inbound.Bounce b) {
      bounce(to, user, b.stanzaId(), b.type(), b.condition(), b.text());
    }
  }

  private void remember(String user) {
    Jids.bare(user).ifPresent(b -> {
      synchronized (senders) {
        senders.put(jids.tag(b), b);
      }
    });
  }

  private void bounce(String from, String to, String id, IngressResult.Refused refused) {
    String condition;
    String type = "cancel";
    switch (refused.code()) {
      case IngressResult.Refused.RATE_LIMITED -> {
        type = "wait";
        condition = "resource-constraint";
      }
      case IngressResult.Refused.INVALID_ENVELOPE, IngressResult.Refused.TOO_LONG -> {
        type = "modify";
        condition = "not-acceptable";
      }
      case IngressResult.Refused.UNKNOWN_REFERENCE -> {
        type = "modify";
        condition = "item-not-found";
      }
      case IngressResult.Refused.HELD_FOR_REVIEW, IngressResult.Refused.NOT_SENDER, IngressResult.Refused.NOT_A_MEMBER -> {
        type = "auth";
        condition = "forbidden";
      }
      case IngressResult.Refused.RECIPIENT_UNREACHABLE -> condition = "recipient-unavailable";
      default -> condition = "not-acceptable";
    }
    String text = refused.code() + ": " + refused.message()
        + (refused.retryAfter() == null ? "" : " (retry after " + Math.max(1, refused.retryAfter().toSeconds()) + " s)");
    bounce(from, to, id, type, condition, text);
  }

  private void bounce(String from, String to, String id, String type, String condition, String text) {
    if (from == null || to == null) {
      return;
    }
    context.metrics().count("bounced");
    link.send(Outbound.bounce(from, to, id, type, condition, text));
  }

  private void onIq(Xml.Element iq) {
    String type = iq.attr("type");
    if (!"get".equals(type) && !"set".equals(type)) {
      return; // results and errors answer nothing of ours
    }
    Xml.Builder answer = Xml.el("iq", Ns.CLIENT).attr("from", iq.attr("to")).attr("to", iq.attr("from")).attr("id", iq.attr("id"));
    if ("get".equals(type) && iq.child("query", Ns.DISCO_INFO).isPresent() && iq.child("query", Ns.DISCO_INFO).get().attr("node") == null) {
      boolean domain = iq.attr("to") != null && !iq.attr("to").contains("@");
      Xml.Builder query = Xml.el("query", Ns.DISCO_INFO).child(domain
          ? Xml.el("identity", Ns.DISCO_INFO).attr("category", "gateway").attr("type", "parlor").attr("name", "Parlor")
          : Xml.el("identity", Ns.DISCO_INFO).attr("category", "account").attr("type", "registered"));
      for (String f : List.of(Ns.DISCO_INFO, Ns.RECEIPTS, Ns.MARKERS, Ns.CHAT_STATES, Ns.CORRECT, Ns.RETRACT, Ns.REACTIONS,
          Ns.REPLY, Ns.OOB, Ns.PING)) {
        query.child(Xml.el("feature", Ns.DISCO_INFO).attr("var", f));
      }
      link.send(answer.attr("type", "result").child(query).build());
    } else if ("get".equals(type) && iq.child("ping", Ns.PING).isPresent()) {
      link.send(answer.attr("type", "result").build());
    } else {
      link.send(answer.attr("type", "error").child(Outbound.error("cancel", "service-unavailable", null)).build());
    }
  }

  /** A subscription request is granted (so clients show the contact); presence is never shared. */
  private void onPresence(Xml.Element presence) {
    if ("subscribe".equals(presence.attr("type")) && presence.attr("to") != null && presence.attr("from") != null) {
      link.send(Xml.el("presence", Ns.CLIENT).attr("from", Jids.bare(presence.attr("to")).orElse(presence.attr("to")))
          .attr("to", Jids.bare(presence.attr("from")).orElse(presence.attr("from"))).attr("type", "subscribed").build());
    }
  }

  @Override
  public String toString() {
    return "XmppAdapter[" + context.networkId() + ", " + config.component() + "]";
  }
}
