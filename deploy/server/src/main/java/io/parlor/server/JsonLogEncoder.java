package io.parlor.server;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/** One JSON object per line: time, level, logger, thread, message, error. */
final class JsonLogEncoder extends EncoderBase<ILoggingEvent> {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Override
  public byte[] headerBytes() {
    return new byte[0];
  }

  @Override
  public byte[] encode(ILoggingEvent e) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("time", Instant.ofEpochMilli(e.getTimeStamp()).toString());
    n.put("level", e.getLevel().toString());
    n.put("logger", e.getLoggerName());
    n.put("thread", e.getThreadName());
    n.put("message", e.getFormattedMessage());
    IThrowableProxy t = e.getThrowableProxy();
    if (t != null) {
      n.put("error", t.getClassName() + ": " + t.getMessage());
    }
    return (n.toString() + "\n").getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public byte[] footerBytes() {
    return new byte[0];
  }
}
