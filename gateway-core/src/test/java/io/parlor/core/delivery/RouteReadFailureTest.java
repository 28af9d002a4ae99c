package io.parlor.core.delivery;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.core.store.StoreUnavailableException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

/**
 * A delivery's route is read per attempt; when the read fails for one attempt, that attempt is
 * retried. Which failures are the store being down decides whether the retry is quiet: a database
 * killed under the read must not log a warning per delivery on top of the store's one line for the
 * outage (PostgresOutageIT met it once in CI: "delivery of … failed unexpectedly; retrying").
 */
class RouteReadFailureTest {

  @Test
  void theDatabaseGoneUnderTheReadIsTheStoreDownRetriedQuietly() {
    // what the PostgreSQL driver throws when the server dies mid-statement
    PSQLException gone = new PSQLException("An I/O error occurred while sending to the backend.", PSQLState.CONNECTION_FAILURE);
    Throwable seen = DeliveryScheduler.readFailure(gone);
    assertTrue(seen instanceof StoreUnavailableException, "the store down, not the attempt's own failure: " + seen);
    assertSame(gone, seen.getCause(), "the driver's exception kept as the cause");
    assertTrue(RetryPolicies.isTransient(seen), "retried as transient");
  }

  @Test
  void aFailureOfTheReadItselfStaysAsItIsAndIsLogged() {
    SQLException bug = new PSQLException("relation \"threads\" does not exist", PSQLState.UNDEFINED_TABLE);
    assertSame(bug, DeliveryScheduler.readFailure(bug));
    assertFalse(RetryPolicies.isTransient(DeliveryScheduler.readFailure(bug)), "a bug is not quiet");
    IllegalStateException alsoBug = new IllegalStateException("no such network");
    assertSame(alsoBug, DeliveryScheduler.readFailure(alsoBug));
  }

  @Test
  void aStoreAlreadyDownIsPassedOn() {
    StoreUnavailableException down = new StoreUnavailableException("store cannot write for now", null);
    assertSame(down, DeliveryScheduler.readFailure(down));
  }
}
