package io.parlor.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.slf4j.LoggerFactory;

/** Configures logging to stdout, as text or one JSON object per line. */
final class Logging {
  private Logging() {}

  static void configure(String format, String level) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.reset();
    Encoder<ILoggingEvent> encoder;
    if (format.equals("json")) {
      JsonLogEncoder json = new JsonLogEncoder();
      json.setContext(ctx);
      json.start();
      encoder = json;
    } else {
      PatternLayoutEncoder text = new PatternLayoutEncoder();
      text.setContext(ctx);
      text.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSX,UTC} %-5level [%thread] %logger{20} - %msg%n%ex{short}");
      text.start();
      encoder = text;
    }
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(ctx);
    appender.setName("stdout");
    appender.setEncoder(encoder);
    appender.start();
    ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(level, Level.INFO));
    root.addAppender(appender);
    ctx.getLogger("io.netty").setLevel(Level.WARN);
    ctx.getLogger("org.sqlite").setLevel(Level.WARN);
    // the pool starting and stopping, and one WARN per connection a database outage breaks (the
    // store logs the outage once, ERROR, and its end, INFO)
    ctx.getLogger("com.zaxxer.hikari").setLevel(Level.ERROR);
    ctx.getLogger("org.postgresql").setLevel(Level.WARN);
    // jsmpp logs whole PDUs (numbers and text) at debug and quotes field values in errors
    ctx.getLogger("org.jsmpp").setLevel(Level.OFF);
  }
}
