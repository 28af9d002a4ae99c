package io.parlor.adapter.smpp;

import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;

/**
 * Network → envelope: turns a received {@code deliver_sm} into a receipt, a stored part of a
 * concatenated message, or a whole {@link Envelope} from {@code sms:+E164} to {@code
 * sms:<destination as E.164 or short code>}. Thread-safe (its state lives in the {@link
 * Reassembler} and {@link MoIds}, both locked). Never logs.
 *
 * <p>A whole message is only forgotten once {@link #committed} says the core stored it; {@link
 * #failed} keeps its parts and id so the SMSC's redelivery is assembled again under the same id.
 */
final class SmppNormalizer {
  private final NetworkId network;
  private final Clock clock;
  private final Reassembler reassembler;
  private final MoIds ids;
  private final StatsRecorder stats;

  /** What a {@code deliver_sm} turned out to be. */
  sealed interface Result permits Receipt, Partial, Complete, Ignored, Unsupported {}

  /** A delivery receipt. */
  record Receipt(DeliveryReceipt receipt) implements Result {}

  /** A part of a concatenated message, kept until the rest arrives: acknowledge it. */
  record Partial() implements Result {}

  /** A whole message: hand it to the core, then {@link #committed} or {@link #failed}. */
  record Complete(Envelope envelope, Commit commit) implements Result {}

  /** Nothing to deliver (an empty message, an unreadable receipt): acknowledge it. */
  record Ignored(String reason) implements Result {}

  /** A message Parlor cannot carry (binary data, no sender): refuse it permanently. */
  record Unsupported(String reason) implements Result {}

  /** What to forget once the core has the message. */
  record Commit(String contentKey, Reassembler.Key group) {}

  SmppNormalizer(NetworkId network, Clock clock, Reassembler reassembler, MoIds ids, StatsRecorder stats) {
    this.network = network;
    this.clock = clock;
    this.reassembler = reassembler;
    this.ids = ids;
    this.stats = stats;
  }

  Result normalize(InboundPdu pdu) {
    if (ReceiptParser.isReceipt(pdu)) {
      Optional<DeliveryReceipt> r = ReceiptParser.fromPdu(pdu);
      return r.isPresent() ? new Receipt(r.get()) : new Ignored("receipt without id or state");
    }
    Optional<String> from = PhoneNumbers.fromSmpp(pdu.sourceAddr(), pdu.sourceTon());
    Optional<String> to = PhoneNumbers.fromSmpp(pdu.destAddr(), pdu.destTon());
    if (from.isEmpty() || to.isEmpty()
        || !Address.isValid(network + ":" + from.get()) || !Address.isValid(network + ":" + to.get())) {
      return new Unsupported("source or destination address unusable");
    }
    byte[] ud = pdu.userData();
    int offset = 0;
    Concatenation.Info concat = null;
    if (pdu.udhi()) {
      Optional<Concatenation.Header> h = Concatenation.parseHeader(ud);
      if (h.isEmpty()) {
        return new Unsupported("malformed user data header");
      }
      offset = h.get().length();
      concat = h.get().concat().filter(Concatenation.Info::valid).orElse(null);
    }
    if (concat == null) {
      concat = sar(pdu).orElse(null);
    }
    byte[] payload = Arrays.copyOfRange(ud, offset, ud.length);
    if (DataCodings.decode(pdu.dataCoding(), new byte[0]).isEmpty()) {
      return new Unsupported("data_coding " + (pdu.dataCoding() & 0xFF) + " is not text");
    }
    stats.reassemblyTimeouts(reassembler.purgeExpired());
    Reassembler.Key group = null;
    String concatRef = "-";
    byte dataCoding = pdu.dataCoding();
    if (concat != null && concat.total() > 1) {
      group = new Reassembler.Key(from.get(), to.get(), concat.ref(), concat.total(), concat.refBits());
      Optional<Reassembler.Assembled> all = reassembler.offer(group, concat.seq(), dataCoding, payload);
      if (all.isEmpty()) {
        return new Partial();
      }
      payload = all.get().userData();
      dataCoding = all.get().dataCoding();
      concatRef = concat.refBits() + ":" + concat.ref() + "/" + concat.total();
    }
    String text = DataCodings.decode(dataCoding, payload).orElse("");
    if (text.isEmpty()) {
      if (group != null) {
        reassembler.complete(group);
      }
      return new Ignored("empty message");
    }
    String key = ids.contentKey(from.get(), to.get(), concatRef, text);
    Envelope envelope =
        Envelope.of(
            MessageId.of(ids.idFor(key)),
            Address.account(network, from.get()),
            Address.account(network, to.get()),
            clock.instant(),
            new Content.Text(text));
    return new Complete(envelope, new Commit(key, group));
  }

  /** The core stored (or already had) the message: forget its parts, a repeat is a new message. */
  void committed(Commit c) {
    ids.acknowledged(c.contentKey());
    if (c.group() != null) {
      reassembler.complete(c.group());
    }
  }

  /** The core could not store it: keep parts and id for the SMSC's redelivery. */
  void failed(Commit c) {
    // Nothing to undo: parts and the pending id stay until committed or expired.
  }

  private static Optional<Concatenation.Info> sar(InboundPdu pdu) {
    Optional<byte[]> ref = pdu.tlv(InboundPdu.TLV_SAR_MSG_REF_NUM).filter(v -> v.length == 2);
    Optional<byte[]> total = pdu.tlv(InboundPdu.TLV_SAR_TOTAL_SEGMENTS).filter(v -> v.length == 1);
    Optional<byte[]> seq = pdu.tlv(InboundPdu.TLV_SAR_SEGMENT_SEQNUM).filter(v -> v.length == 1);
    if (ref.isEmpty() || total.isEmpty() || seq.isEmpty()) {
      return Optional.empty();
    }
    Concatenation.Info info =
        new Concatenation.Info(
            ((ref.get()[0] & 0xFF) << 8) | (ref.get()[1] & 0xFF),
            total.get()[0] & 0xFF,
            seq.get()[0] & 0xFF,
            16);
    return info.valid() ? Optional.of(info) : Optional.empty();
  }
}
