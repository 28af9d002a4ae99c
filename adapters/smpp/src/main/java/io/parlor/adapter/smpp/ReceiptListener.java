package io.parlor.adapter.smpp;

/**
 * Receives the final outcome of submitted messages. The SPI has no receipt callback yet, so this
 * is the adapter's own hook, set through the package-private {@link SmppAdapter} constructor.
 *
 * <p>Called on a jsmpp PDU-processing thread (or a submit thread, when the receipt overtook the
 * {@code submit_sm_resp}); must not block. Called at most once per message.
 */
@FunctionalInterface
public interface ReceiptListener {
  /** A listener that drops receipts. */
  ReceiptListener NONE = receipt -> {};

  void onReceipt(SmsReceipt receipt);
}
