package io.parlor.adapter.smpp;

import io.parlor.spi.InboundSink;
import io.parlor.spi.IngressResult;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jsmpp.bean.AlertNotification;
import org.jsmpp.bean.DataSm;
import org.jsmpp.bean.DeliverSm;
import org.jsmpp.bean.OptionalParameter;
import org.jsmpp.extra.ProcessRequestException;
import org.jsmpp.session.DataSmResult;
import org.jsmpp.session.MessageReceiverListener;
import org.jsmpp.session.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Handles {@code deliver_sm}: receipts go to the {@link ReceiptCorrelator}, user messages to the
 * core's {@link InboundSink}. The {@code deliver_sm_resp} is only sent once the sink's stage
 * completed, i.e. the message is durable.
 *
 * <p>Threading: jsmpp calls {@link #onAcceptDeliverSm} on its own PDU-processing threads and sends
 * the response when it returns (or throws), so this blocks that thread on the sink's stage for at
 * most {@code ackTimeout}: it is jsmpp's worker thread, not an event loop, and the link sizes that
 * pool above the window so responses to our submits are not held up. Thread-safe.
 *
 * <table>
 *   <tr><th>outcome</th><th>deliver_sm_resp</th></tr>
 *   <tr><td>stored, duplicate, receipt, partial, empty</td><td>ESME_ROK</td></tr>
 *   <tr><td>sink failed or timed out</td><td>ESME_RX_T_APPN (0x64): the SMSC retries</td></tr>
 *   <tr><td>refused as rate limited</td><td>ESME_RTHROTTLED (0x58)</td></tr>
 *   <tr><td>refused otherwise, not text, no sender</td><td>ESME_RX_P_APPN (0x65)</td></tr>
 * </table>
 */
final class SmppInbound implements MessageReceiverListener {
  static final int ESME_ROK = 0x00;
  static final int ESME_RTHROTTLED = 0x58;
  static final int ESME_RX_T_APPN = 0x64;
  static final int ESME_RX_P_APPN = 0x65;
  private static final int ESME_RINVCMDID = 0x03;
  private static final Logger log = LoggerFactory.getLogger(SmppInbound.class);

  private final SmppNormalizer normalizer;
  private final InboundSink sink;
  private final ReceiptCorrelator correlator;
  private final StatsRecorder stats;
  private final Duration ackTimeout;

  SmppInbound(SmppNormalizer normalizer, InboundSink sink, ReceiptCorrelator correlator,
      StatsRecorder stats, Duration ackTimeout) {
    this.normalizer = normalizer;
    this.sink = sink;
    this.correlator = correlator;
    this.stats = stats;
    this.ackTimeout = ackTimeout;
  }

  @Override
  public void onAcceptDeliverSm(DeliverSm deliverSm) throws ProcessRequestException {
    int status = accept(toPdu(deliverSm));
    if (status != ESME_ROK) {
      // jsmpp logs this message: no identifiers in it.
      throw new ProcessRequestException("deliver_sm answered " + SmppErrorMapper.name(status), status);
    }
  }

  @Override
  public void onAcceptAlertNotification(AlertNotification alertNotification) {
    // Not used: Parlor does not ask for alerts.
  }

  @Override
  public DataSmResult onAcceptDataSm(DataSm dataSm, Session source) throws ProcessRequestException {
    throw new ProcessRequestException("data_sm is not supported", ESME_RINVCMDID);
  }

  /** Handles one {@code deliver_sm}; returns the {@code command_status} to answer with. Blocks. */
  int accept(InboundPdu pdu) {
    SmppNormalizer.Result r;
    try {
      r = normalizer.normalize(pdu);
    } catch (RuntimeException e) {
      // Not rethrown: jsmpp would log it with its message. The SMSC retries.
      log.warn("deliver_sm could not be read: {}", e.getClass().getSimpleName());
      stats.moTemporaryError();
      return ESME_RX_T_APPN;
    }
    if (r instanceof SmppNormalizer.Receipt) {
      correlator.onReceipt(((SmppNormalizer.Receipt) r).receipt());
      log.debug("delivery receipt received");
      return ESME_ROK;
    }
    if (r instanceof SmppNormalizer.Partial) {
      log.debug("part of a concatenated message received");
      return ESME_ROK;
    }
    if (r instanceof SmppNormalizer.Ignored) {
      log.debug("deliver_sm ignored: {}", ((SmppNormalizer.Ignored) r).reason());
      return ESME_ROK;
    }
    if (r instanceof SmppNormalizer.Unsupported) {
      log.debug("deliver_sm refused: {}", ((SmppNormalizer.Unsupported) r).reason());
      stats.moRejected();
      return ESME_RX_P_APPN;
    }
    SmppNormalizer.Complete c = (SmppNormalizer.Complete) r;
    return store(c);
  }

  private int store(SmppNormalizer.Complete c) {
    CompletableFuture<IngressResult> done = new CompletableFuture<>();
    try {
      CompletionStage<IngressResult> stage = sink.accept(c.envelope());
      stage.whenComplete((res, err) -> {
        if (err != null) {
          done.completeExceptionally(err);
        } else {
          done.complete(res);
        }
      });
    } catch (RuntimeException e) {
      done.completeExceptionally(e);
    }
    IngressResult result;
    try {
      result = done.get(ackTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return temporary(c, "interrupted");
    } catch (ExecutionException e) {
      return temporary(c, "core could not store it");
    } catch (TimeoutException e) {
      return temporary(c, "core did not store it within " + ackTimeout);
    }
    if (result instanceof IngressResult.Refused) {
      String code = ((IngressResult.Refused) result).code();
      log.debug("inbound message refused by the core: {}", code);
      if (IngressResult.Refused.RATE_LIMITED.equals(code)) {
        normalizer.failed(c.commit());
        stats.moTemporaryError();
        return ESME_RTHROTTLED;
      }
      normalizer.committed(c.commit());
      stats.moRejected();
      return ESME_RX_P_APPN;
    }
    normalizer.committed(c.commit());
    stats.moAccepted();
    log.debug("inbound message stored");
    return ESME_ROK;
  }

  private int temporary(SmppNormalizer.Complete c, String why) {
    normalizer.failed(c.commit());
    stats.moTemporaryError();
    log.debug("inbound message answered with a temporary error: {}", why);
    return ESME_RX_T_APPN;
  }

  /** Copies the fields this adapter reads out of jsmpp's bean. */
  static InboundPdu toPdu(DeliverSm d) {
    Map<Integer, byte[]> tlvs = new HashMap<>();
    OptionalParameter[] params = d.getOptionalParameters();
    if (params != null) {
      for (OptionalParameter p : params) {
        byte[] b = p.serialize();
        if (b.length >= 4) {
          int tag = ((b[0] & 0xFF) << 8) | (b[1] & 0xFF);
          tlvs.put(tag, java.util.Arrays.copyOfRange(b, 4, b.length));
        }
      }
    }
    return new InboundPdu(
        d.getSourceAddr(),
        d.getSourceAddrTon(),
        d.getDestAddress(),
        d.getDestAddrTon(),
        d.getEsmClass(),
        d.getDataCoding(),
        d.getShortMessage(),
        tlvs);
  }
}
