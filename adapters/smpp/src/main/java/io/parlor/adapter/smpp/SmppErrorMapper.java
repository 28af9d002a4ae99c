package io.parlor.adapter.smpp;

import io.parlor.spi.DeliveryException;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.PermanentDeliveryException.Reason;
import io.parlor.spi.TransientDeliveryException;
import java.time.Duration;
import java.util.Map;

/**
 * The one table from SMPP {@code command_status} (and local submit failures) to transient or
 * permanent delivery failure. Messages name what failed and the raw code, never numbers or text.
 * Stateless and thread-safe.
 *
 * <table>
 *   <tr><th>status</th><th>outcome</th></tr>
 *   <tr><td>ESME_RTHROTTLED (0x58)</td><td>transient, retry after {@link #THROTTLED_RETRY}</td></tr>
 *   <tr><td>ESME_RMSGQFUL (0x14)</td><td>transient, retry after {@link #QUEUE_FULL_RETRY}</td></tr>
 *   <tr><td>ESME_RSYSERR (0x08), ESME_RSUBMITFAIL (0x45), ESME_RX_T_APPN (0x64),
 *       ESME_RINVBNDSTS (0x04), ESME_RDELIVERYFAILURE (0xFE), ESME_RUNKNOWNERR (0xFF)</td>
 *       <td>transient</td></tr>
 *   <tr><td>ESME_RINVDSTADR (0x0B), ESME_RINVDSTTON (0x50), ESME_RINVDSTNPI (0x51),
 *       ESME_RINVDSTADDRSUBUNIT (0x106)</td><td>permanent RECIPIENT_UNKNOWN</td></tr>
 *   <tr><td>ESME_RINVMSGLEN (0x01)</td><td>permanent TOO_LONG</td></tr>
 *   <tr><td>ESME_RINVDCS (0x104), ESME_RINVESMCLASS (0x43)</td><td>permanent UNSUPPORTED</td></tr>
 *   <tr><td>ESME_RINVPASWD (0x0E), ESME_RINVSYSID (0x0F), ESME_RBINDFAIL (0x0D),
 *       ESME_RSERTYPUNAUTH (0x100)</td><td>permanent AUTH</td></tr>
 *   <tr><td>ESME_RINVSRCADR (0x0A), ESME_RINVSRCTON (0x48), ESME_RINVSRCNPI (0x49),
 *       ESME_RINVEXPIRY (0x62), ESME_RX_P_APPN (0x65), ESME_RX_R_APPN (0x66),
 *       ESME_RPROHIBITED (0x101)</td><td>permanent CONTENT_REJECTED</td></tr>
 *   <tr><td>any other status</td><td>transient</td></tr>
 *   <tr><td>no response in time, link lost, I/O error</td><td>transient</td></tr>
 *   <tr><td>window and queue full</td><td>busy (back-pressure, not counted as a failure), retry after {@link #WINDOW_FULL_RETRY}</td></tr>
 * </table>
 */
final class SmppErrorMapper {
  static final Duration THROTTLED_RETRY = Duration.ofSeconds(1);
  static final Duration QUEUE_FULL_RETRY = Duration.ofSeconds(5);
  static final Duration WINDOW_FULL_RETRY = Duration.ofMillis(500);

  private record Row(String name, Reason permanent, Duration retryAfter) {}

  private static final Map<Integer, Row> TABLE =
      Map.ofEntries(
          Map.entry(0x58, new Row("ESME_RTHROTTLED", null, THROTTLED_RETRY)),
          Map.entry(0x14, new Row("ESME_RMSGQFUL", null, QUEUE_FULL_RETRY)),
          Map.entry(0x08, new Row("ESME_RSYSERR", null, null)),
          Map.entry(0x45, new Row("ESME_RSUBMITFAIL", null, null)),
          Map.entry(0x64, new Row("ESME_RX_T_APPN", null, null)),
          Map.entry(0x04, new Row("ESME_RINVBNDSTS", null, null)),
          Map.entry(0xFE, new Row("ESME_RDELIVERYFAILURE", null, null)),
          Map.entry(0xFF, new Row("ESME_RUNKNOWNERR", null, null)),
          Map.entry(0x0B, new Row("ESME_RINVDSTADR", Reason.RECIPIENT_UNKNOWN, null)),
          Map.entry(0x50, new Row("ESME_RINVDSTTON", Reason.RECIPIENT_UNKNOWN, null)),
          Map.entry(0x51, new Row("ESME_RINVDSTNPI", Reason.RECIPIENT_UNKNOWN, null)),
          Map.entry(0x106, new Row("ESME_RINVDSTADDRSUBUNIT", Reason.RECIPIENT_UNKNOWN, null)),
          Map.entry(0x01, new Row("ESME_RINVMSGLEN", Reason.TOO_LONG, null)),
          Map.entry(0x104, new Row("ESME_RINVDCS", Reason.UNSUPPORTED, null)),
          Map.entry(0x43, new Row("ESME_RINVESMCLASS", Reason.UNSUPPORTED, null)),
          Map.entry(0x0E, new Row("ESME_RINVPASWD", Reason.AUTH, null)),
          Map.entry(0x0F, new Row("ESME_RINVSYSID", Reason.AUTH, null)),
          Map.entry(0x0D, new Row("ESME_RBINDFAIL", Reason.AUTH, null)),
          Map.entry(0x100, new Row("ESME_RSERTYPUNAUTH", Reason.AUTH, null)),
          Map.entry(0x0A, new Row("ESME_RINVSRCADR", Reason.CONTENT_REJECTED, null)),
          Map.entry(0x48, new Row("ESME_RINVSRCTON", Reason.CONTENT_REJECTED, null)),
          Map.entry(0x49, new Row("ESME_RINVSRCNPI", Reason.CONTENT_REJECTED, null)),
          Map.entry(0x62, new Row("ESME_RINVEXPIRY", Reason.CONTENT_REJECTED, null)),
          Map.entry(0x65, new Row("ESME_RX_P_APPN", Reason.CONTENT_REJECTED, null)),
          Map.entry(0x66, new Row("ESME_RX_R_APPN", Reason.CONTENT_REJECTED, null)),
          Map.entry(0x101, new Row("ESME_RPROHIBITED", Reason.CONTENT_REJECTED, null)));

  private SmppErrorMapper() {}

  /** The failure for a non-zero {@code command_status}. */
  static DeliveryException fromStatus(int status, String what) {
    Row row = TABLE.get(status);
    String msg = what + ": SMSC answered " + name(status);
    if (row == null || row.permanent() == null) {
      return new TransientDeliveryException(msg, row == null ? null : row.retryAfter(), null);
    }
    return new PermanentDeliveryException(row.permanent(), msg);
  }

  /** Whether a status asks us to slow down. */
  static boolean isThrottling(int status) {
    return status == 0x58 || status == 0x14;
  }

  /** Whether a refused bind means wrong credentials (health AUTH_FAILED, not RECONNECTING). */
  static boolean isAuthFailure(int status) {
    return status == 0x0E || status == 0x0F;
  }

  /** No {@code submit_sm_resp} within the response timeout. */
  static DeliveryException responseTimeout(String what, Duration timeout) {
    return new TransientDeliveryException(what + ": no submit_sm_resp within " + timeout, null, null);
  }

  /** The bind carrying the submit was lost (closed, dropped, dead) before its response. */
  static DeliveryException linkLost(String what) {
    return new TransientDeliveryException(what + ": SMPP link lost before submit_sm_resp", null, null);
  }

  /** The window and its queue are full: back-pressure ({@link TransientDeliveryException#busy}), not the SMSC failing. */
  static DeliveryException windowFull(String what) {
    return TransientDeliveryException.busy(what + ": submit window and queue are full", WINDOW_FULL_RETRY);
  }

  /** Any other local failure: transient, cause attached. */
  static DeliveryException unexpected(String what, Throwable cause) {
    return new TransientDeliveryException(what + ": " + cause.getClass().getSimpleName(), null, cause);
  }

  /** {@code ESME_RTHROTTLED (0x00000058)}, or {@code 0x000000AB} for statuses outside the table. */
  static String name(int status) {
    Row row = TABLE.get(status);
    String hex = String.format("0x%08X", status);
    return row == null ? hex : row.name() + " (" + hex + ")";
  }
}
