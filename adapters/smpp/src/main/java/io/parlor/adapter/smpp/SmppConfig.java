package io.parlor.adapter.smpp;

import java.time.Duration;
import java.util.List;

/**
 * Config of one {@code type: smpp} network (contract section 2); see the module README for every
 * key. Immutable; validated by {@link SmppAdapterProvider#parseConfig}.
 *
 * @param host SMSC host
 * @param port SMSC port (2775)
 * @param systemId ESME system id (at most 15 characters)
 * @param password bind password (secret, at most 8 characters)
 * @param systemType system type, may be empty
 * @param source default sender: address, TON and NPI
 * @param numberPool the operator's source numbers shown as senders, E.164 with {@code +}; empty
 *     when a single sender identity is used
 * @param window submits in flight at most
 * @param queueSize parts waiting for a window slot at most; 0 fails fast when the window is full
 * @param enquireLinkInterval idle time after which {@code enquire_link} probes the link
 * @param responseTimeout how long to wait for any response (bind, submit, enquire_link) and for
 *     the core to store an inbound message before answering the SMSC with a temporary error
 * @param reconnectInitial first reconnect delay, doubled up to {@code reconnectMax}
 * @param reconnectMax longest reconnect delay
 * @param maxParts parts one message may use at most
 * @param bindType one transceiver bind, or a transmitter plus a receiver bind
 * @param validityFormat relative or absolute {@code validity_period}
 * @param reassemblyTimeout how long parts of a concatenated inbound message wait for the rest
 */
public record SmppConfig(
    String host,
    int port,
    String systemId,
    String password,
    String systemType,
    Source source,
    List<String> numberPool,
    int window,
    int queueSize,
    Duration enquireLinkInterval,
    Duration responseTimeout,
    Duration reconnectInitial,
    Duration reconnectMax,
    int maxParts,
    BindType bindType,
    ValidityFormat validityFormat,
    Duration reassemblyTimeout) {

  public SmppConfig {
    numberPool = List.copyOf(numberPool);
    systemType = systemType == null ? "" : systemType;
  }

  /**
   * The default sender.
   *
   * @param address digits, short code or alphanumeric; empty lets the SMSC choose
   * @param ton type of number
   * @param npi numbering plan indicator
   */
  public record Source(String address, int ton, int npi) {
    public Source {
      address = address == null ? "" : address;
    }
  }

  /** How to bind. */
  public enum BindType {
    TRANSCEIVER("transceiver"),
    TRANSMITTER_RECEIVER("transmitter-receiver");

    final String wire;

    BindType(String wire) {
      this.wire = wire;
    }
  }

  /** Which SMPP time form {@code validity_period} takes. */
  public enum ValidityFormat {
    RELATIVE,
    ABSOLUTE
  }

  /** Longest text in GSM 03.38 characters ({@code maxParts} × 153, or 160 for one part). */
  int maxGsmText() {
    return maxParts == 1 ? Concatenation.GSM_SINGLE : maxParts * Concatenation.GSM_PART;
  }

  @Override
  public String toString() {
    return "SmppConfig[host=" + host + ", port=" + port + ", systemId=" + systemId
        + ", password=<redacted>, bindType=" + bindType.wire + ", window=" + window + "]";
  }
}
