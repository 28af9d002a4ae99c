package io.parlor.tck;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Everything logged while it is open: java.util.logging and System.Logger records (formatted with
 * their parameters), and whatever reaches standard output and error (where SLF4J's simple and
 * console backends write). Output still reaches the console.
 */
final class LogCapture implements AutoCloseable {
  private final StringBuffer text = new StringBuffer();
  private final PrintStream out = System.out;
  private final PrintStream err = System.err;
  private final Logger root = Logger.getLogger("");
  private final java.util.logging.Level rootLevel = root.getLevel();
  private final Handler handler = new Handler() {
    @Override
    public void publish(LogRecord r) {
      String m = r.getMessage() == null ? "" : r.getMessage();
      if (r.getParameters() != null) {
        try {
          m = java.text.MessageFormat.format(m, r.getParameters());
        } catch (IllegalArgumentException e) {
          m = m + " " + java.util.Arrays.toString(r.getParameters());
        }
      }
      text.append(m).append('\n');
      if (r.getThrown() != null) {
        text.append(r.getThrown()).append('\n');
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  LogCapture() {
    handler.setLevel(java.util.logging.Level.ALL);
    root.addHandler(handler);
    root.setLevel(java.util.logging.Level.ALL); // debug lines count: they end up in files too
    System.setOut(new PrintStream(new Tee(out), true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(new Tee(err), true, StandardCharsets.UTF_8));
  }

  String text() {
    return text.toString();
  }

  @Override
  public void close() {
    root.removeHandler(handler);
    root.setLevel(rootLevel);
    System.setOut(out);
    System.setErr(err);
  }

  private final class Tee extends OutputStream {
    private final PrintStream to;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    Tee(PrintStream to) {
      this.to = to;
    }

    @Override
    public synchronized void write(int b) {
      to.write(b);
      line.write(b);
      if (b == '\n') {
        text.append(line.toString(StandardCharsets.UTF_8));
        line.reset();
      }
    }

    @Override
    public synchronized void flush() {
      to.flush();
      text.append(line.toString(StandardCharsets.UTF_8));
      line.reset();
    }
  }
}
