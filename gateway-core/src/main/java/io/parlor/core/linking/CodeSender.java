package io.parlor.core.linking;

import io.parlor.spi.CodeDelivery;
import io.parlor.spi.envelope.Address;
import java.time.Clock;
import java.util.Optional;

/**
 * Sends a one-time code to an account: through the network's {@link CodeDelivery} when its
 * platform needs a special form for a first contact (WhatsApp's authentication template), else as
 * a text from {@code @parlor}, expiring with the code. Thread-safe.
 */
public final class CodeSender {
  public static final Address SYSTEM = SystemMessages.SYSTEM;

  private final SystemMessages messages;
  private final Clock clock;

  public CodeSender(SystemMessages messages, Clock clock) {
    this.messages = messages;
    this.clock = clock;
  }

  public void send(Address account, String code) {
    messages.send(account, "code", (network, id) -> {
      Optional<CodeDelivery> special = network.adapter().feature(CodeDelivery.class);
      if (special.isPresent()) {
        return special.get().deliverCode(account, code, clock.instant().plus(OneTimeCodes.VALIDITY), id);
      }
      return messages.sendNow(network, account, id, text(code), OneTimeCodes.VALIDITY);
    });
  }

  static String text(String code) {
    return "Your Parlor code is " + code + ". It expires in 10 minutes. If you did not ask for it, ignore this message.";
  }
}
