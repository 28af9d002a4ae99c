package io.parlor.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectNestedClass;

import io.parlor.tck.MemoryAdapter.Defect;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * The kit's proof that its rules can fail: the reference adapter passes every rule, and each
 * defect makes exactly the rules it breaks fail (run with the other rules of their group). A rule about what an adapter declares it does
 * not do is skipped, and only that rule.
 */
class KitCatchesBrokenAdaptersIT {
  /** Which rules (display names) each defect must fail. */
  /** The group (a nested class of the kit) a defect's rules are in, and the rules it must fail. */
  record Broken(Class<?> group, Set<String> rules) {}

  /** Which rules (display names) each defect must fail, and in which group. */
  static final Map<Defect, Broken> BREAKS = Map.ofEntries(
      Map.entry(Defect.SECOND_START_FAILS, new Broken(AdapterConformanceKit.Lifecycle.class, Set.of("start and stop are idempotent"))),
      Map.entry(Defect.NO_STOPPED_HEALTH, new Broken(AdapterConformanceKit.Lifecycle.class, Set.of("start and stop are idempotent"))),
      Map.entry(Defect.LEAKS_A_THREAD, new Broken(AdapterConformanceKit.Lifecycle.class, Set.of("stop releases every thread, socket and timer it created"))),
      Map.entry(Defect.SILENT_HEALTH, new Broken(AdapterConformanceKit.HealthRules.class, Set.of("an outage fails deliveries as retryable, shows in health, and passes"))),
      Map.entry(Defect.OUTAGE_IS_PERMANENT, new Broken(AdapterConformanceKit.HealthRules.class, Set.of("an outage fails deliveries as retryable, shows in health, and passes"))),
      Map.entry(Defect.NEVER_RECOVERS, new Broken(AdapterConformanceKit.HealthRules.class, Set.of("an outage fails deliveries as retryable, shows in health, and passes"))),
      Map.entry(Defect.FOREIGN_SENDER, new Broken(AdapterConformanceKit.Inbound.class, Set.of("a message comes from an account of this network, with its text"))),
      Map.entry(Defect.UNSTABLE_IDS, new Broken(AdapterConformanceKit.Inbound.class, Set.of("a redelivered message keeps its id"))),
      Map.entry(Defect.LOGS_BODIES, new Broken(AdapterConformanceKit.Inbound.class, Set.of("no message body reaches the logs or a metric"))),
      Map.entry(Defect.METRIC_FROM_DATA, new Broken(AdapterConformanceKit.Inbound.class, Set.of("no message body reaches the logs or a metric"))),
      Map.entry(Defect.ACKS_BEFORE_STORE, new Broken(AdapterConformanceKit.Acknowledgement.class, Set.of("the network is answered only after the core stored the message"))),
      Map.entry(Defect.BLOCKS_ON_STORE, new Broken(AdapterConformanceKit.Inbound.class, Set.of("handing a message over never blocks: the next one arrives while the core holds the first"))),
      Map.entry(Defect.ACKS_STORE_FAILURE, new Broken(AdapterConformanceKit.Acknowledgement.class, Set.of("a store failure asks the network to send again"))),
      Map.entry(Defect.BLOCKS_CALLER, new Broken(AdapterConformanceKit.Delivery.class, Set.of("deliver never blocks the calling thread"))),
      Map.entry(Defect.TRANSIENT_AS_PERMANENT, new Broken(AdapterConformanceKit.Delivery.class, Set.of("a transient failure is retryable"))),
      Map.entry(Defect.PERMANENT_AS_TRANSIENT, new Broken(AdapterConformanceKit.Delivery.class, Set.of("a permanent failure is permanent"))),
      Map.entry(Defect.DROPS_RETRY_AFTER, new Broken(AdapterConformanceKit.Delivery.class, Set.of("a rate limit carries the network's wait"))),
      Map.entry(Defect.RECEIPT_WITHOUT_ID, new Broken(AdapterConformanceKit.Receipts.class, Set.of("a delivery receipt names the delivery"))),
      Map.entry(Defect.READ_OF_ANOTHER_ID, new Broken(AdapterConformanceKit.Events.class, Set.of("a read of a delivered message reaches the core naming it"))),
      Map.entry(Defect.NO_STATUS_RECEIVER, new Broken(AdapterConformanceKit.Events.class, Set.of("a read status reaches the network's user"))),
      Map.entry(Defect.NO_TYPING, new Broken(AdapterConformanceKit.Events.class, Set.of("typing reaches the network"))),
      Map.entry(Defect.REACTION_AS_TEXT, new Broken(AdapterConformanceKit.Content2.class, Set.of("reaction"))));

  @AfterEach
  void reset() {
    MemoryAdapterKit.defect = Defect.NONE;
  }

  static EngineExecutionResults run(Defect defect) {
    MemoryAdapterKit.defect = defect;
    return EngineTestKit.engine("junit-jupiter").selectors(selectClass(MemoryAdapterKit.class)).execute();
  }

  /** Only the rules of one group (the whole kit takes a second or so; 22 defects, 22 seconds). */
  static EngineExecutionResults run(Defect defect, Class<?> group) {
    MemoryAdapterKit.defect = defect;
    return EngineTestKit.engine("junit-jupiter")
        .selectors(selectNestedClass(List.of(MemoryAdapterKit.class), group)).execute();
  }

  static Set<String> names(List<Event> events) {
    Set<String> out = new TreeSet<>();
    events.forEach(e -> out.add(e.getTestDescriptor().getDisplayName()));
    return out;
  }

  @Test
  void theReferenceAdapterPassesEveryRule() {
    EngineExecutionResults r = run(Defect.NONE);
    assertEquals(Set.of(), names(r.testEvents().failed().list()), "rules the reference adapter failed");
    assertEquals(Set.of(), names(r.testEvents().aborted().list()), "it declares everything, so nothing is skipped");
    assertTrue(r.testEvents().succeeded().count() >= 24, "rules run: " + r.testEvents().succeeded().count());
  }

  @ParameterizedTest
  @EnumSource(value = Defect.class, names = {"NONE", "NO_CONTENT_DECLARED"}, mode = EnumSource.Mode.EXCLUDE)
  void eachDefectFailsTheRulesItBreaksAndNoOtherOfItsGroup(Defect defect) {
    Broken broken = BREAKS.get(defect);
    EngineExecutionResults r = run(defect, broken.group());
    assertEquals(broken.rules(), names(r.testEvents().failed().list()), defect + " failed these rules");
    assertTrue(r.testEvents().succeeded().count() + broken.rules().size() == r.testEvents().started().count(),
        "the other rules of the group ran and passed");
  }

  @Test
  void aKindDeclaredUnsupportedSkipsItsRuleOnlyNeverTheKit() {
    EngineExecutionResults r = run(Defect.NO_CONTENT_DECLARED);
    assertEquals(Set.of(), names(r.testEvents().failed().list()));
    assertEquals(Set.of("media", "reaction", "edit", "delete", "location"), names(r.testEvents().aborted().list()));
    assertTrue(r.testEvents().succeeded().count() >= 17, "the other rules still ran");
  }
}
