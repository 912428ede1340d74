package dev.keyturn.client.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.client.ConsumerRegistration;
import dev.keyturn.client.Keyring;
import dev.keyturn.client.KeyturnClient;
import dev.keyturn.client.KeyturnConflictException;
import dev.keyturn.client.KeyturnForbiddenException;
import dev.keyturn.client.KeyturnInvalidRequestException;
import dev.keyturn.client.KeyturnNotFoundException;
import dev.keyturn.client.KeyturnWatch;
import dev.keyturn.client.PutRequest;
import dev.keyturn.client.SecretChange;
import dev.keyturn.client.SecretInfo;
import dev.keyturn.client.SecretValue;
import dev.keyturn.client.Stage;
import dev.keyturn.client.WriteResult;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link KeyturnClient} does, run against {@link FakeKeyturn} and against the HTTP
 * client talking to a real server, so that the fake behaves as the server does: versions and
 * stages, keyrings, compare-and-set, not found, forbidden by grants, hostile names, listing, change
 * events and consumers. Each test works under a folder of its own, so one server may serve them
 * all. Every outcome is checked by reading again, not from the write's answer alone; no canary
 * value may appear in any exception message.
 */
public abstract class KeyturnClientContract {
  private static final String CANARY = "contract-canary-e5d1";

  /** The folder this test writes under. */
  protected String ns;

  /**
   * A client whose token holds {@code grants} ({@code capability:glob}); a new token for each call.
   */
  protected abstract KeyturnClient client(String... grants);

  @BeforeEach
  void folder() {
    ns = "ct" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
  }

  private KeyturnClient admin() {
    return client("admin:*");
  }

  private String name(String leaf) {
    return ns + "/" + leaf;
  }

  @Test
  void put_thenGet_returnsTheCurrentVersionWithItsValue() {
    KeyturnClient c = admin();

    WriteResult w = c.put(PutRequest.text(name("A"), CANARY + "-1"));
    SecretValue read = c.get(name("A"));

    assertThat(w.version()).isEqualTo(1);
    assertThat(w.stage()).isEqualTo(Stage.CURRENT);
    assertThat(read.name()).isEqualTo(name("A"));
    assertThat(read.version()).isEqualTo(1);
    assertThat(read.stage()).isEqualTo(Stage.CURRENT);
    assertThat(read.sameAs(CANARY + "-1")).isTrue();
    assertThat(read.createdAt()).isPresent();
    assertThat(read.toString()).doesNotContain(CANARY);
  }

  @Test
  void jsonValue_comesBackWithItsFields() {
    KeyturnClient c = admin();

    c.put(
        PutRequest.builder(name("DB"))
            .json("{\"username\":\"app\",\"password\":\"" + CANARY + "\",\"port\":5432}")
            .build());
    SecretValue read = c.get(name("DB"));

    assertThat(read.isJson()).isTrue();
    assertThat(read.revealField("username")).contains("app");
    assertThat(read.revealField("port")).contains("5432");
    assertThat(read.revealField("password").orElseThrow().equals(CANARY)).isTrue();
    assertThat(read.revealField("host")).isEmpty();
  }

  @Test
  void putWithoutGrace_retiresTheOldVersion_readableByNumberWithAdminOnly() {
    KeyturnClient c = admin();
    KeyturnClient reader = client("read:" + ns + "/*");

    c.put(PutRequest.text(name("A"), CANARY + "-1"));
    c.put(PutRequest.text(name("A"), CANARY + "-2"));

    assertThat(c.get(name("A")).version()).isEqualTo(2);
    assertThat(c.keyring(name("A")).versionNumbers()).containsExactly(2);
    assertThat(c.getVersion(name("A"), 1).stage()).isEqualTo(Stage.RETIRED);
    assertThat(c.getVersion(name("A"), 1).sameAs(CANARY + "-1")).isTrue();
    assertThatThrownBy(() -> reader.getVersion(name("A"), 1))
        .isInstanceOf(KeyturnForbiddenException.class)
        .hasMessageNotContaining(CANARY);
    assertThatThrownBy(() -> c.getStage(name("A"), Stage.PREVIOUS))
        .isInstanceOf(KeyturnNotFoundException.class);
  }

  @Test
  void putWithGrace_keepsTheOldVersionAsPrevious_inTheKeyring() {
    KeyturnClient c = admin();

    c.put(PutRequest.text(name("H"), CANARY + "-1"));
    c.put(PutRequest.builder(name("H")).text(CANARY + "-2").grace(Duration.ofHours(1)).build());
    Keyring ring = c.keyring(name("H"));
    SecretValue previous = c.getStage(name("H"), Stage.PREVIOUS);

    assertThat(ring.versionNumbers()).containsExactly(2, 1);
    assertThat(ring.current().orElseThrow().sameAs(CANARY + "-2")).isTrue();
    assertThat(ring.version(1).orElseThrow().stage()).isEqualTo(Stage.PREVIOUS);
    assertThat(ring.version(1).orElseThrow().acceptUntil()).isPresent();
    assertThat(ring.version(1).orElseThrow().sameAs(CANARY + "-1")).isTrue();
    assertThat(previous.version()).isEqualTo(1);
    assertThat(previous.stage()).isEqualTo(Stage.PREVIOUS);
  }

  @Test
  void pendingVersion_isInTheKeyringButNotCurrent_andOnlyOneAtATime() {
    KeyturnClient c = admin();
    c.put(PutRequest.text(name("P"), CANARY + "-1"));

    WriteResult pending =
        c.put(PutRequest.builder(name("P")).text(CANARY + "-2").stage(Stage.PENDING).build());

    assertThat(pending.stage()).isEqualTo(Stage.PENDING);
    assertThat(c.get(name("P")).version()).isEqualTo(1);
    assertThat(c.getStage(name("P"), Stage.PENDING).version()).isEqualTo(2);
    assertThat(c.keyring(name("P")).versionNumbers()).containsExactly(2, 1);
    assertThat(c.keyring(name("P")).pending().orElseThrow().version()).isEqualTo(2);
    assertThatThrownBy(() ->
            c.put(PutRequest.builder(name("P")).text(CANARY + "-3").stage(Stage.PENDING).build()))
        .isInstanceOfSatisfying(
            KeyturnConflictException.class, e -> assertThat(e.isCasMismatch()).isFalse())
        .hasMessageNotContaining(CANARY);
    assertThat(c.keyring(name("P")).versionNumbers()).containsExactly(2, 1);
  }

  @Test
  void compareAndSet_writesOnlyOverTheExpectedVersion() {
    KeyturnClient c = admin();

    WriteResult first =
        c.put(PutRequest.builder(name("C")).text(CANARY + "-1").expectedVersion(0).build());
    PutRequest stale = PutRequest.builder(name("C")).text(CANARY + "-x").expectedVersion(0).build();
    WriteResult second =
        c.put(PutRequest.builder(name("C")).text(CANARY + "-2").expectedVersion(1).build());
    PutRequest behind =
        PutRequest.builder(name("C")).text(CANARY + "-y").expectedVersion(1).build();

    assertThat(first.version()).isEqualTo(1);
    assertThat(second.version()).isEqualTo(2);
    for (PutRequest refused : List.of(stale, behind)) {
      assertThatThrownBy(() -> c.put(refused))
          .isInstanceOfSatisfying(
              KeyturnConflictException.class,
              e -> {
                assertThat(e.isCasMismatch()).isTrue();
                assertThat(e.currentVersion()).contains(2);
              })
          .hasMessageNotContaining(CANARY);
    }
    assertThat(c.get(name("C")).version()).isEqualTo(2);
    assertThat(c.get(name("C")).sameAs(CANARY + "-2")).isTrue();
    assertThat(c.keyring(name("C")).versionNumbers()).containsExactly(2);
  }

  @Test
  void compareAndSet_onANewName_refusesAnyVersionButZero() {
    KeyturnClient c = admin();

    assertThatThrownBy(
            () -> c.put(PutRequest.builder(name("N")).text(CANARY).expectedVersion(3).build()))
        .isInstanceOfSatisfying(
            KeyturnConflictException.class, e -> assertThat(e.isCasMismatch()).isTrue());
    assertThatThrownBy(() -> c.get(name("N"))).isInstanceOf(KeyturnNotFoundException.class);
  }

  @Test
  void missingSecretsAndVersions_areNotFound() {
    KeyturnClient c = admin();
    c.put(PutRequest.text(name("A"), CANARY));

    assertThatThrownBy(() -> c.get(name("NOPE"))).isInstanceOf(KeyturnNotFoundException.class);
    assertThatThrownBy(() -> c.keyring(name("NOPE"))).isInstanceOf(KeyturnNotFoundException.class);
    assertThatThrownBy(() -> c.getVersion(name("A"), 9))
        .isInstanceOf(KeyturnNotFoundException.class);
    assertThatThrownBy(() -> c.getStage(name("A"), Stage.PENDING))
        .isInstanceOf(KeyturnNotFoundException.class)
        .hasMessageNotContaining(CANARY);
  }

  @Test
  void grants_decide_andNoValueLeaksIntoTheRefusal() {
    admin().put(PutRequest.text(name("S"), CANARY + "-1"));
    KeyturnClient listOnly = client("list:" + ns + "/*");
    KeyturnClient otherFolder = client("read:elsewhere/*", "write:elsewhere/*");
    KeyturnClient readOnly = client("read:" + ns + "/*");
    KeyturnClient writer = client("write:" + ns + "/*");

    for (KeyturnClient c : List.of(listOnly, otherFolder, writer)) {
      assertThatThrownBy(() -> c.get(name("S")))
          .isInstanceOf(KeyturnForbiddenException.class)
          .hasMessageNotContaining(CANARY);
      assertThatThrownBy(() -> c.keyring(name("S")))
          .isInstanceOf(KeyturnForbiddenException.class)
          .hasMessageNotContaining(CANARY);
    }
    for (KeyturnClient c : List.of(readOnly, otherFolder, listOnly)) {
      assertThatThrownBy(() -> c.put(PutRequest.text(name("S"), CANARY + "-evil")))
          .isInstanceOf(KeyturnForbiddenException.class)
          .hasMessageNotContaining(CANARY);
    }
    WriteResult allowed = writer.put(PutRequest.text(name("S"), CANARY + "-2"));

    assertThat(allowed.version()).isEqualTo(2);
    assertThat(readOnly.get(name("S")).sameAs(CANARY + "-2")).isTrue();
    assertThat(readOnly.keyring(name("S")).versionNumbers()).containsExactly(2);
  }

  @Test
  void hostileNames_areRefusedBeforeSending() {
    KeyturnClient c = admin();

    for (String hostile :
        List.of(ns + "/../x", ns + "/a%2Fb", ns + "/a\r\nX: y", "/" + ns, ns + "//a", "..")) {
      assertThatThrownBy(() -> c.get(hostile))
          .as(hostile)
          .isInstanceOf(KeyturnInvalidRequestException.class);
      assertThatThrownBy(() -> c.keyring(hostile))
          .as(hostile)
          .isInstanceOf(KeyturnInvalidRequestException.class);
    }
  }

  @Test
  void list_showsTheNamesUnderThePrefixTheTokenMayList() {
    KeyturnClient c = admin();
    c.put(PutRequest.text(name("a/ONE"), CANARY));
    c.put(PutRequest.text(name("a/TWO"), CANARY));
    c.put(PutRequest.text(name("a/TWO"), CANARY + "-2"));
    c.put(PutRequest.text(name("b/THREE"), CANARY));

    List<SecretInfo> all = c.listAll(ns + "/");
    List<SecretInfo> onlyA = client("list:" + ns + "/a/*").listAll(ns + "/");

    assertThat(all)
        .extracting(SecretInfo::name)
        .containsExactly(name("a/ONE"), name("a/TWO"), name("b/THREE"));
    assertThat(all.get(1).currentVersion()).contains(2);
    assertThat(all.get(1).versionCount()).isEqualTo(2);
    assertThat(onlyA).extracting(SecretInfo::name).containsExactly(name("a/ONE"), name("a/TWO"));
  }

  @Test
  void watch_reportsANewVersion_withoutItsValue() throws InterruptedException {
    KeyturnClient c = admin();
    c.put(PutRequest.text(name("W"), CANARY + "-1"));
    LinkedBlockingQueue<SecretChange> changes = new LinkedBlockingQueue<>();
    LinkedBlockingQueue<Boolean> ready = new LinkedBlockingQueue<>();

    try (KeyturnWatch watch =
        c.watch(
            ns,
            new dev.keyturn.client.ChangeListener() {
              @Override
              public void changed(SecretChange change) {
                changes.add(change);
              }

              @Override
              public void ready() {
                ready.add(true);
              }
            })) {
      assertThat(ready.poll(30, TimeUnit.SECONDS)).as("the watch is ready").isTrue();
      c.put(PutRequest.text(name("W"), CANARY + "-2"));

      SecretChange change = changes.poll(30, TimeUnit.SECONDS);
      while (change != null && change.version() != 2) {
        change = changes.poll(30, TimeUnit.SECONDS);
      }
      assertThat(change).as("an event for version 2").isNotNull();
      assertThat(change.name()).isEqualTo(name("W"));
      assertThat(change.stage()).isEqualTo(Stage.CURRENT);
      assertThat(change.toString()).doesNotContain(CANARY);
      assertThat(watch.isOpen()).isTrue();
    }
  }

  @Test
  void consumers_needReadOnWhatTheyHold_andBelongToTheirToken() {
    admin().put(PutRequest.text(name("U"), CANARY));
    KeyturnClient reader = client("read:" + ns + "/*");
    KeyturnClient otherReader = client("read:" + ns + "/*");
    KeyturnClient stranger = client("read:elsewhere/*");
    ConsumerRegistration registration =
        ConsumerRegistration.builder(ns + ".app-1").holding(name("U"), 1).build();

    reader.registerConsumer(registration);
    reader.registerConsumer(registration); // a heartbeat

    assertThatThrownBy(() -> otherReader.registerConsumer(registration))
        .isInstanceOf(KeyturnConflictException.class);
    assertThatThrownBy(() ->
            stranger.registerConsumer(
                ConsumerRegistration.builder(ns + ".app-2").holding(name("U"), 1).build()))
        .isInstanceOf(KeyturnForbiddenException.class);
    reader.departConsumer(ns + ".app-1");
    otherReader.registerConsumer(registration);
  }
}
