package io.parlor.adapter.smpp;

import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.AdapterProvider;
import io.parlor.spi.config.ConfigView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/** Provider of SMS over SMPP 3.4 ({@code type: smpp}): Parlor binds to the SMSC as an ESME. */
public final class SmppAdapterProvider implements AdapterProvider<SmppConfig> {
  private static final Pattern ALPHANUMERIC = Pattern.compile("[A-Za-z0-9 ._-]{1,11}");
  private static final Pattern DIGITS = Pattern.compile("\\+?[0-9]{1,20}");
  private static final List<Integer> NPIS = List.of(0, 1, 3, 4, 6, 8, 9, 10, 14, 18);

  @Override
  public String type() {
    return "smpp";
  }

  @Override
  public SmppConfig parseConfig(ConfigView view) {
    int before = view.problems().size();
    String host = view.string("host");
    int port = view.integer("port", 2775, 1, 65535);
    String systemId = view.string("systemId");
    if (systemId != null && systemId.length() > 15) {
      view.problem("systemId", "\"" + systemId + "\"", "at most 15 characters (SMPP 3.4 system_id)");
    }
    String password = view.secret("password");
    if (password != null && password.length() > 8) {
      view.problem("password", "<redacted>", "at most 8 characters (SMPP 3.4 password)");
    }
    String systemType = view.string("systemType", "");
    if (systemType.length() > 12) {
      view.problem("systemType", "\"" + systemType + "\"", "at most 12 characters");
    }
    SmppConfig.Source source = source(view);
    List<String> pool = numberPool(view);
    int window = view.integer("window", 10, 1, 1000);
    int queueSize = view.integer("queueSize", window * 10, 0, 100_000);
    Duration enquire =
        view.duration("enquireLinkInterval", Duration.ofSeconds(30), Duration.ofMillis(200), Duration.ofMinutes(10));
    Duration response =
        view.duration("responseTimeout", Duration.ofSeconds(10), Duration.ofMillis(100), Duration.ofMinutes(2));
    Duration initial = Duration.ofSeconds(1);
    Duration max = Duration.ofMinutes(1);
    Optional<ConfigView> backoff = view.child("reconnectBackoff");
    if (backoff.isPresent()) {
      ConfigView b = backoff.get();
      initial = b.duration("initial", initial, Duration.ofMillis(10), Duration.ofMinutes(10));
      max = b.duration("max", max, Duration.ofMillis(10), Duration.ofHours(1));
      if (max.compareTo(initial) < 0) {
        b.problem("max", max.toString(), "a duration not shorter than initial (" + initial + ")");
      }
      b.reportUnknownKeys();
    }
    int maxParts = view.integer("maxParts", 10, 1, 255);
    String bind = view.oneOf("bindType", "transceiver", List.of("transceiver", "transmitter-receiver"));
    String validity = view.oneOf("validityFormat", "relative", List.of("relative", "absolute"));
    Duration reassembly =
        view.duration("reassemblyTimeout", Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofHours(24));
    if (view.problems().size() > before) {
      return null;
    }
    return new SmppConfig(
        host, port, systemId, password, systemType, source, pool, window, queueSize, enquire, response,
        initial, max, maxParts,
        "transceiver".equals(bind) ? SmppConfig.BindType.TRANSCEIVER : SmppConfig.BindType.TRANSMITTER_RECEIVER,
        "relative".equals(validity) ? SmppConfig.ValidityFormat.RELATIVE : SmppConfig.ValidityFormat.ABSOLUTE,
        reassembly);
  }

  private static SmppConfig.Source source(ConfigView view) {
    String address = view.string("sourceAddress", "");
    int ton;
    int npi;
    if (address.isEmpty()) {
      ton = PhoneNumbers.TON_UNKNOWN;
      npi = PhoneNumbers.NPI_UNKNOWN;
    } else if (DIGITS.matcher(address).matches()) {
      boolean international = address.startsWith("+") || address.length() > 8;
      address = address.startsWith("+") ? address.substring(1) : address;
      ton = international ? PhoneNumbers.TON_INTERNATIONAL : PhoneNumbers.TON_UNKNOWN;
      npi = PhoneNumbers.NPI_ISDN;
    } else if (ALPHANUMERIC.matcher(address).matches()) {
      ton = PhoneNumbers.TON_ALPHANUMERIC;
      npi = PhoneNumbers.NPI_UNKNOWN;
    } else {
      view.problem("sourceAddress", "\"" + address + "\"",
          "a number (+ and up to 20 digits), a short code, or 1-11 letters, digits, spaces, . _ -");
      ton = 0;
      npi = 0;
    }
    ton = view.integer("sourceTon", ton, 0, 6);
    npi = view.integer("sourceNpi", npi, 0, 18);
    if (!NPIS.contains(npi)) {
      view.problem("sourceNpi", String.valueOf(npi), "one of " + NPIS + " (SMPP 3.4 numbering plans)");
    }
    return new SmppConfig.Source(address, ton, npi);
  }

  private static List<String> numberPool(ConfigView view) {
    List<String> raw = view.stringList("numberPool", List.of());
    List<String> out = new ArrayList<>();
    for (int i = 0; i < raw.size(); i++) {
      String v = raw.get(i).trim();
      // YAML reads an unquoted +447700900001 as the integer 447700900001: accept digits alone.
      Optional<String> e164 = PhoneNumbers.e164(v.startsWith("+") ? v : "+" + v);
      if (e164.isEmpty()) {
        view.problem("numberPool[" + i + "]", "\"" + v + "\"", "an E.164 number such as \"+447700900001\"");
      } else if (out.contains(e164.get())) {
        view.problem("numberPool[" + i + "]", "\"" + v + "\"", "a number not listed twice");
      } else {
        out.add(e164.get());
      }
    }
    return out;
  }

  @Override
  public String exampleConfig() {
    return String.join(
        "\n",
        "- id: sms                       # the network's id used in addresses (sms:+447700900123)",
        "  type: smpp",
        "  host: smsc.example.net        # the SMSC; Parlor binds as an ESME",
        "  port: 2775                    # optional, default 2775",
        "  systemId: parlor              # at most 15 characters",
        "  password: ${SMSC_PASSWORD}    # at most 8 characters",
        "  systemType: \"\"                # optional",
        "  bindType: transceiver         # or transmitter-receiver (two binds)",
        "  sourceAddress: \"12345\"        # default sender: short code, +E.164 or alphanumeric",
        "  # sourceTon: 0                # optional, derived from sourceAddress",
        "  # sourceNpi: 1",
        "  numberPool:                   # optional: number masking, one pool number per pair",
        "    - \"+447700900001\"",
        "    - \"+447700900002\"",
        "  window: 10                    # submits in flight at most",
        "  queueSize: 100                # parts waiting for the window; 0 = fail fast",
        "  enquireLinkInterval: PT30S",
        "  responseTimeout: PT10S",
        "  reconnectBackoff: {initial: PT1S, max: PT60S}",
        "  maxParts: 10                  # longest message: 10 parts (1530 GSM / 670 UCS-2 chars)",
        "  validityFormat: relative      # or absolute (UTC)",
        "  reassemblyTimeout: PT5M       # inbound concatenated parts wait this long for the rest",
        "");
  }

  @Override
  public Adapter create(SmppConfig config, AdapterContext context) {
    return new SmppAdapter(config, context);
  }
}
