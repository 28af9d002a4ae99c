package io.parlor.adapter.smpp;

import io.parlor.spi.AdapterUnavailableException;
import io.parlor.spi.DeliveryException;
import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.PermanentDeliveryException.Reason;
import io.parlor.spi.TransientDeliveryException;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.NetworkId;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.jsmpp.InvalidResponseException;
import org.jsmpp.PDUException;
import org.jsmpp.bean.ESMClass;
import org.jsmpp.bean.NumberingPlanIndicator;
import org.jsmpp.bean.RawDataCoding;
import org.jsmpp.bean.RegisteredDelivery;
import org.jsmpp.bean.SMSCDeliveryReceipt;
import org.jsmpp.bean.TypeOfNumber;
import org.jsmpp.extra.NegativeResponseException;
import org.jsmpp.extra.ResponseTimeoutException;
import org.jsmpp.session.SMPPSession;
import org.jsmpp.session.SubmitSmResult;

/**
 * Envelope → {@code submit_sm} parts. Thread-safe; {@link #deliver} never blocks: parts are
 * submitted on the {@link SubmitWindow}'s threads and the returned stage completes on one of them
 * (or on the link supervisor thread when the link is lost).
 *
 * <p>The stage completes once every part got {@code submit_sm_resp} OK, with the first part's
 * SMSC id; only then are the parts' ids registered for receipts, so a receipt never reaches the
 * {@link ReceiptListener} before the delivery result (receipts that overtake it wait in the
 * correlator). If any part fails the message fails with that part's error: parts already accepted
 * may reach the handset, and the core's retry sends the whole message again (SMPP has no
 * idempotency key).
 */
final class SmppSender {
  private static final int MAX_CONSECUTIVE_TIMEOUTS = 3;

  private final SmppConfig config;
  private final NetworkId network;
  private final Clock clock;
  private final SmppLink transmitter;
  private final SubmitWindow window;
  private final ReceiptCorrelator correlator;
  private final StatsRecorder stats;
  private final PhoneNumbers.SmppAddress defaultSource;
  private final Set<String> pool;
  private final String accountPrefix;
  private final AtomicInteger ref = new AtomicInteger();
  private final AtomicInteger consecutiveTimeouts = new AtomicInteger();

  /** The collaborators a sender submits through. */
  record Parts(SmppLink transmitter, SubmitWindow window, ReceiptCorrelator correlator, StatsRecorder stats) {}

  SmppSender(SmppConfig config, NetworkId network, Clock clock, Parts parts) {
    this.config = config;
    this.network = network;
    this.clock = clock;
    this.transmitter = parts.transmitter();
    this.window = parts.window();
    this.correlator = parts.correlator();
    this.stats = parts.stats();
    this.pool = Set.copyOf(config.numberPool());
    this.accountPrefix = network.value() + ":";
    this.defaultSource =
        new PhoneNumbers.SmppAddress(
            config.source().address(), (byte) config.source().ton(), (byte) config.source().npi());
  }

  /**
   * The SMS text: in a group, where one number stands for everyone in it, the group and the
   * sender as the core presents them come first ({@code "[Climbing] @alice: text"}).
   */
  static String textOf(Envelope envelope) {
    String text = ((Content.Text) envelope.content()).text();
    if (envelope.group() == null) {
      return text;
    }
    return envelope.group().label(envelope.from().value()) + ": " + text;
  }

  CompletableFuture<DeliveryResult> deliver(Envelope envelope, DeliveryTarget target) {
    String what = "delivery of " + target.idempotencyKey();
    if (!(envelope.content() instanceof Content.Text)) {
      return failed(new PermanentDeliveryException(Reason.UNSUPPORTED, what + ": SMS carries plain text only"));
    }
    Optional<PhoneNumbers.SmppAddress> dest = destination(target.recipient());
    if (dest.isEmpty()) {
      return failed(new PermanentDeliveryException(Reason.RECIPIENT_UNKNOWN,
          what + ": recipient is not an E.164 number or short code of network " + network));
    }
    Concatenation.Split split;
    try {
      split = Concatenation.split(textOf(envelope), config.maxParts(), ref.incrementAndGet());
    } catch (Concatenation.TooLongException e) {
      return failed(new PermanentDeliveryException(Reason.TOO_LONG, what + ": " + e.getMessage()));
    }
    if (transmitter.boundSession() == null || window.closing()) {
      return failed(new AdapterUnavailableException(
          what + ": network " + network + " is not bound to its SMSC (" + transmitter.reason() + ")"));
    }
    if (!window.tryAdmit(split.parts().size())) {
      stats.throttled();
      return failed(SmppErrorMapper.windowFull(what));
    }
    Job job = new Job(what, split, dest.get(), source(envelope.from()), envelope.expiresAt(),
        correlator.track(target.idempotencyKey(), split.parts().size()));
    for (int i = 0; i < job.parts.size(); i++) {
      int part = i;
      window.run(
          release -> submitPart(job, part, release),
          () -> job.parts.get(part).completeExceptionally(new AdapterUnavailableException(what + ": adapter stopping")));
    }
    return job.result();
  }

  /** One message being submitted. */
  private final class Job {
    final String what;
    final Concatenation.Split split;
    final PhoneNumbers.SmppAddress dest;
    final PhoneNumbers.SmppAddress source;
    final Instant expiresAt;
    final ReceiptCorrelator.Tracked tracked;
    final List<CompletableFuture<String>> parts = new ArrayList<>();

    Job(String what, Concatenation.Split split, PhoneNumbers.SmppAddress dest,
        PhoneNumbers.SmppAddress source, Instant expiresAt, ReceiptCorrelator.Tracked tracked) {
      this.what = what;
      this.split = split;
      this.dest = dest;
      this.source = source;
      this.expiresAt = expiresAt;
      this.tracked = tracked;
      for (int i = 0; i < split.parts().size(); i++) {
        parts.add(new CompletableFuture<>());
      }
    }

    CompletableFuture<DeliveryResult> result() {
      CompletableFuture<DeliveryResult> out = new CompletableFuture<>();
      CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0])).whenComplete((v, err) -> {
        for (CompletableFuture<String> p : parts) {
          if (p.isCompletedExceptionally()) {
            correlator.abandon(tracked);
            out.completeExceptionally(cause(p));
            return;
          }
        }
        String first = parts.get(0).join();
        out.complete(new DeliveryResult(first.isEmpty() ? null : first));
        for (int i = 0; i < parts.size(); i++) {
          String id = parts.get(i).join();
          if (!id.isEmpty()) {
            correlator.partSubmitted(tracked, i, id);
          }
        }
      });
      return out;
    }
  }

  private void submitPart(Job job, int i, Runnable release) {
    CompletableFuture<String> part = job.parts.get(i);
    String id = null;
    Throwable failure = null;
    try {
      id = attempt(job, i, part);
    } catch (DeliveryException e) {
      failure = e;
    } catch (RuntimeException e) {
      failure = SmppErrorMapper.unexpected(job.what, e);
    }
    // Free the window before completing: a caller chaining its next delivery finds room.
    release.run();
    if (failure != null) {
      part.completeExceptionally(failure);
    } else {
      part.complete(id);
    }
  }

  /** Submits part {@code i} on the bound session; returns its SMSC id ("" when none). Blocks. */
  private String attempt(Job job, int i, CompletableFuture<String> part) throws DeliveryException {
    SMPPSession s = transmitter.boundSession();
    if (s == null) {
      stats.submitFailed(-1);
      throw SmppErrorMapper.linkLost(job.what);
    }
    String validity;
    try {
      validity = ValidityPeriod.forExpiry(job.expiresAt, clock.instant(), config.validityFormat()).orElse(null);
    } catch (ValidityPeriod.ExpiredException e) {
      throw new TransientDeliveryException(job.what + ": " + e.getMessage());
    }
    InFlightSet.Entry entry = window.enter(s, part, job.what);
    long t0 = System.nanoTime();
    try {
      SubmitSmResult r = submit(s, job, i, validity);
      stats.submitted(System.nanoTime() - t0);
      consecutiveTimeouts.set(0);
      return r.getMessageId() == null ? "" : r.getMessageId().trim();
    } catch (NegativeResponseException e) {
      stats.submitFailed(System.nanoTime() - t0);
      if (SmppErrorMapper.isThrottling(e.getCommandStatus())) {
        stats.throttled();
      }
      throw SmppErrorMapper.fromStatus(e.getCommandStatus(), job.what);
    } catch (ResponseTimeoutException e) {
      stats.submitFailed(System.nanoTime() - t0);
      if (entry.lost) {
        throw SmppErrorMapper.linkLost(job.what);
      }
      if (consecutiveTimeouts.incrementAndGet() >= MAX_CONSECUTIVE_TIMEOUTS) {
        consecutiveTimeouts.set(0);
        transmitter.recycle(s, MAX_CONSECUTIVE_TIMEOUTS + " submit responses timed out in a row");
      }
      throw SmppErrorMapper.responseTimeout(job.what, config.responseTimeout());
    } catch (IOException e) {
      stats.submitFailed(-1);
      throw SmppErrorMapper.linkLost(job.what);
    } catch (PDUException e) {
      // Its message quotes the field's value (a number): keep it out of the error.
      stats.submitFailed(-1);
      throw new PermanentDeliveryException(Reason.CONTENT_REJECTED, job.what + ": a submit_sm field is out of SMPP range");
    } catch (InvalidResponseException e) {
      stats.submitFailed(-1);
      throw SmppErrorMapper.unexpected(job.what, e);
    } finally {
      window.leave(entry);
    }
  }

  private SubmitSmResult submit(SMPPSession s, Job job, int i, String validity)
      throws PDUException, ResponseTimeoutException, InvalidResponseException, NegativeResponseException,
          IOException {
    byte[] sm = job.split.parts().get(i);
    return s.submitShortMessage(
        "",
        TypeOfNumber.valueOf(job.source.ton()),
        NumberingPlanIndicator.valueOf(job.source.npi()),
        job.source.address(),
        TypeOfNumber.valueOf(job.dest.ton()),
        NumberingPlanIndicator.valueOf(job.dest.npi()),
        job.dest.address(),
        new ESMClass(job.split.concatenated() ? 0x40 : 0x00),
        (byte) 0,
        (byte) 0,
        null,
        validity,
        new RegisteredDelivery(SMSCDeliveryReceipt.SUCCESS_FAILURE),
        (byte) 0,
        new RawDataCoding(job.split.alphabet().dataCoding),
        (byte) 0,
        sm);
  }

  private Optional<PhoneNumbers.SmppAddress> destination(Address recipient) {
    String account = accountOnThisNetwork(recipient);
    return account == null ? Optional.empty() : PhoneNumbers.destination(account);
  }

  /**
   * The account part of {@code a} when it is an account of this network, else null. Reads the
   * (already validated) value directly: {@link Address#kind} re-runs regular expressions.
   */
  private String accountOnThisNetwork(Address a) {
    String v = a == null ? "" : a.value();
    return v.startsWith(accountPrefix) ? v.substring(accountPrefix.length()) : null;
  }

  /** A pool number when {@code from} is one (number masking), else the default sender. */
  private PhoneNumbers.SmppAddress source(Address from) {
    String account = pool.isEmpty() ? null : accountOnThisNetwork(from);
    if (account != null) {
      Optional<String> e164 = PhoneNumbers.e164(account);
      if (e164.isPresent() && pool.contains(e164.get())) {
        return new PhoneNumbers.SmppAddress(
            e164.get().substring(1), PhoneNumbers.TON_INTERNATIONAL, PhoneNumbers.NPI_ISDN);
      }
    }
    return defaultSource;
  }

  private static Throwable cause(CompletableFuture<String> f) {
    try {
      f.join();
      return new IllegalStateException("not failed");
    } catch (java.util.concurrent.CompletionException e) {
      return e.getCause() instanceof DeliveryException ? e.getCause() : e;
    } catch (java.util.concurrent.CancellationException e) {
      return e;
    }
  }

  private static <T> CompletableFuture<T> failed(Throwable t) {
    return CompletableFuture.failedFuture(t);
  }
}
