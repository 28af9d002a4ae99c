package io.parlor.spi.envelope;

/**
 * An envelope field is missing or invalid. {@link #field()} names the JSON path of the field
 * (for example {@code content.text}) so that callers can tell the sender exactly what to fix.
 * The message never contains the field's value: values may be message bodies or identifiers.
 */
public final class EnvelopeException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final String field;

  public EnvelopeException(String field, String reason) {
    super(field + ": " + reason);
    this.field = field;
  }

  /** JSON path of the offending field, e.g. {@code timer.seconds}. */
  public String field() {
    return field;
  }
}
