package io.parlor.core.http;

import java.time.Duration;

/**
 * Settings of the HTTP server.
 *
 * @param bind address to bind
 * @param port port (0 picks a free one)
 * @param maxBodyBytes largest request body; larger gets 413
 * @param readTimeout how long a started request may go without receiving bytes (408 then)
 * @param idleTimeout how long a keep-alive connection may sit idle between requests
 */
public record HttpServerSettings(
    String bind, int port, int maxBodyBytes, Duration readTimeout, Duration idleTimeout) {}
