package io.parlor.adapter.smpp;

import io.parlor.spi.HealthState;

/**
 * A snapshot of the adapter's counters. Immutable. Carries no phone numbers, ids or content, so
 * every field can become a low-cardinality metric once the SPI has a metrics hook.
 *
 * @param state the adapter's health state (the bind state)
 * @param binds successful binds since start
 * @param bindFailures failed bind attempts (refused, timed out, connection failed)
 * @param linkDrops bound sessions lost (closed by the SMSC, network error, dead link)
 * @param window the configured window (submits in flight at most)
 * @param inFlight submits waiting for their {@code submit_sm_resp} now
 * @param queued parts admitted but waiting for a window slot now
 * @param partsSubmitted parts the SMSC accepted
 * @param submitFailures parts the SMSC refused, or that timed out or were lost with the link
 * @param throttled {@code ESME_RTHROTTLED} / {@code ESME_RMSGQFUL} answers and window-full refusals
 * @param submitLatencyAvgMicros mean time from sending {@code submit_sm} to its response
 * @param submitLatencyMaxMicros longest such time
 * @param receiptsMatched receipts correlated with a submitted part
 * @param receiptsUnmatched receipts whose id never matched (dropped after a while)
 * @param moAccepted user messages handed to the core and acknowledged
 * @param moTemporaryErrors user messages answered with a temporary error (the SMSC retries)
 * @param moRejected user messages answered with a permanent error
 * @param reassemblyTimeouts concatenated messages dropped because parts were missing too long
 */
public record SmppStats(
    HealthState state,
    long binds,
    long bindFailures,
    long linkDrops,
    int window,
    int inFlight,
    int queued,
    long partsSubmitted,
    long submitFailures,
    long throttled,
    long submitLatencyAvgMicros,
    long submitLatencyMaxMicros,
    long receiptsMatched,
    long receiptsUnmatched,
    long moAccepted,
    long moTemporaryErrors,
    long moRejected,
    long reassemblyTimeouts) {}
