package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.RootKeyStatus;
import dev.keyturn.core.Caller;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.NodeRecord;
import dev.keyturn.core.RootKeyChange;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.store.JdbcStore;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a root key rotation ({@code POST /v1/root-key/rotate}) on a server whose key comes from
 * {@code DATA/root.key}: writes the new key to {@code root.key.new}, records the rotation in the
 * store (audited {@code root-key.rotate.start}), from then on wraps and seals the audit chain with
 * the new key while rows wrapped by either key open, rewraps every data key in batches of {@link
 * #BATCH} on a thread of its own, and ends in one transaction (metadata key rewrapped, earlier
 * audit chain keys stored wrapped by the new key, the new key id in force, audited {@code
 * root-key.rotate.end}); then {@code root.key} becomes {@code root.key.old-ID} and {@code
 * root.key.new} becomes {@code root.key}. Each batch is a transaction, and a row names its wrapping
 * key in its ciphertext's header, so a crash at any moment loses nothing: the next start finds the
 * rotation recorded, opens with both files, and resumes ({@link #resume}).
 *
 * <p>Thread-safe. Never holds a key in a log line, audit record or answer.
 */
final class RootKeyRotator implements AutoCloseable {
  static final int BATCH = 500;
  private static final int PAGE_ATTEMPTS = 5;
  static final String START_ACTION = "root-key.rotate.start";
  static final String END_ACTION = "root-key.rotate.end";
  private static final Logger log = LoggerFactory.getLogger(RootKeyRotator.class);

  /** Where the running server's root key came from. */
  enum Source {
    FILE,
    ENVIRONMENT,
    SHARES
  }

  private final JdbcStore store;
  private final Envelope envelope;
  private final AuditChain chain;
  private final Path dataDir;
  private final Source source;
  private final Runnable dropCache;
  private final Clock clock;
  private final SecureRandom random;
  private final String node;

  private Optional<RootKeyChange> change = Optional.empty();
  private String state = "idle";
  private String note = "";
  private String keyFile = "";
  private long rewrapped;
  private Thread worker;
  private volatile boolean closed;

  RootKeyRotator(
      JdbcStore store,
      Envelope envelope,
      AuditChain chain,
      Path dataDir,
      Source source,
      Runnable dropCache,
      Clock clock,
      SecureRandom random,
      String node) {
    this.store = requireNonNull(store, "store");
    this.envelope = requireNonNull(envelope, "envelope");
    this.chain = requireNonNull(chain, "chain");
    this.dataDir = requireNonNull(dataDir, "dataDir");
    this.source = requireNonNull(source, "source");
    this.dropCache = requireNonNull(dropCache, "dropCache");
    this.clock = requireNonNull(clock, "clock");
    this.random = requireNonNull(random, "random");
    this.node = requireNonNull(node, "node");
  }

  /** Continues the rotation {@code recorded} that a start opened with both keys for. */
  synchronized void resume(RootKeyChange recorded) {
    change = Optional.of(recorded);
    keyFile = dataDir.resolve(RootKeyFiles.NEXT_FILE).toString();
    startWorker();
  }

  /**
   * Starts a rotation, or resumes the one recorded (after a failure, or a rotation that wrote its
   * key file and stopped before recording it). Returns at once; {@link #status} tells the progress.
   *
   * @throws KeyturnException.Conflict when the key is not held in a file, or other nodes run
   */
  synchronized RootKeyStatus start(Caller caller, String client) {
    requireNonNull(caller, "caller");
    if (closed) {
      throw new KeyturnException.Unavailable("the server is closing", null);
    }
    if ("rotating".equals(state)) {
      return status();
    }
    refuseUnsupportedSource();
    refuseOtherNodes();
    Optional<RootKeyChange> recorded =
        RootKeyChange.parse(store.settings().setting(RootKeyChange.SETTING));
    if (recorded.isPresent()) {
      if (!envelope.rootKeyId().equals(recorded.get().to())) {
        throw new KeyturnException.Conflict(
            "a root key rotation from "
                + recorded.get().from()
                + " to "
                + recorded.get().to()
                + " is recorded, but this server does not hold the new key: restart it with"
                + " DATA/root.key and DATA/root.key.new");
      }
      change = recorded;
      startWorker();
      return status();
    }
    RootKey next = RootKeyFiles.readNext(dataDir).orElse(null);
    if (next != null && (next.id().equals(envelope.rootKeyId()) || envelope.holds(next.id()))) {
      next.destroy();
      throw new KeyturnException.Conflict(
          dataDir.resolve(RootKeyFiles.NEXT_FILE)
              + " holds the key in force: move it away and try again");
    }
    if (next == null) {
      next = RootKey.generate(random);
      try {
        RootKeyFiles.writeNext(dataDir, next);
      } catch (RuntimeException e) {
        next.destroy();
        throw e;
      }
    }
    RootKeyChange begun = new RootKeyChange(envelope.rootKeyId(), next.id());
    try {
      store.beginRootKeyRotation(
          begun,
          new AuditEvent(
              clock.instant(),
              caller.tokenId(),
              client,
              START_ACTION,
              Optional.empty(),
              Optional.empty(),
              "ok",
              "root key rotation from "
                  + begun.from()
                  + " to "
                  + begun.to()
                  + " began; the new key is in DATA/"
                  + RootKeyFiles.NEXT_FILE));
    } catch (RuntimeException e) {
      next.destroy();
      throw e;
    }
    // Recorded: from now on a start opens with both keys, so the new one may wrap and seal.
    envelope.beginWrapping(next);
    chain.sealWith(next);
    log.info("root key rotation from {} to {} began", begun.from(), begun.to());
    change = Optional.of(begun);
    keyFile = dataDir.resolve(RootKeyFiles.NEXT_FILE).toString();
    rewrapped = 0;
    startWorker();
    return status();
  }

  synchronized RootKeyStatus status() {
    return new RootKeyStatus(
        envelope.rootKeyId(),
        state,
        change.map(RootKeyChange::from).orElse(""),
        change.map(RootKeyChange::to).orElse(""),
        rewrapped,
        keyFile,
        note);
  }

  private void refuseUnsupportedSource() {
    switch (source) {
      case FILE -> {}
      case ENVIRONMENT ->
          throw new KeyturnException.Conflict(
              "the root key comes from KEYTURN_ROOT_KEY: a rotation writes its new key to"
                  + " DATA/root.key.new and needs the server started from DATA/root.key");
      case SHARES ->
          throw new KeyturnException.Conflict(
              "the root key was rebuilt from shares: rotating a share-held key is not supported;"
                  + " start the server from DATA/root.key to rotate, then split the new key");
    }
  }

  private void refuseOtherNodes() {
    List<String> others =
        store.rotations().nodes(clock.instant().minus(NodeRecord.LIVE)).stream()
            .map(NodeRecord::id)
            .filter(id -> !id.equals(node))
            .toList();
    if (!others.isEmpty()) {
      throw new KeyturnException.Conflict(
          "other nodes share this store ("
              + String.join(", ", others)
              + "): they hold the old root key only; stop them, rotate on one node, then start"
              + " them with its new DATA/root.key");
    }
  }

  private void startWorker() {
    state = "rotating";
    note = "";
    worker = Thread.ofPlatform().name("keyturn-root-key-rotation").daemon().start(this::run);
  }

  private void run() {
    RootKeyChange running;
    synchronized (this) {
      running = change.orElseThrow();
    }
    try {
      while (!closed) {
        long count = pass();
        if (closed) {
          return;
        }
        if (count == 0 && finish(running)) {
          return;
        }
      }
    } catch (RuntimeException e) {
      if (closed) {
        return;
      }
      String why = SafeFailure.describe(e);
      log.error("root key rotation to {} stopped: {}", running.to(), why);
      synchronized (this) {
        state = "failed";
        note =
            why
                + " (the rotation stays recorded; reads and writes go on with both keys;"
                + " 'keyturn root-key rotate' resumes it)";
      }
    }
  }

  /** Rewraps every data key not wrapped by the new key; returns how many it rewrapped. */
  private long pass() {
    long after = 0;
    long count = 0;
    while (!closed) {
      JdbcStore.RewrapPage page = rewrap(after);
      count += page.rewrapped();
      synchronized (this) {
        rewrapped += page.rewrapped();
      }
      after = page.lastId();
      if (page.read() < BATCH) {
        break;
      }
    }
    return count;
  }

  /**
   * One page, tried again a few times when the store fails (on PostgreSQL a unit of work that locks
   * several secrets, such as a restore, may deadlock with a page and one of the two is rolled
   * back). An integrity failure is not tried again.
   */
  private JdbcStore.RewrapPage rewrap(long after) {
    for (int attempt = 1; ; attempt++) {
      try {
        return store.rewrapDataKeys(after, BATCH, envelope);
      } catch (KeyturnException.Unavailable e) {
        if (attempt >= PAGE_ATTEMPTS || closed) {
          throw e;
        }
        log.warn("root key rotation: a page failed ({}); trying it again", SafeFailure.describe(e));
        try {
          Thread.sleep(200L * attempt);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private boolean finish(RootKeyChange running) {
    String auditKeys = auditKeys();
    long done;
    synchronized (this) {
      done = rewrapped;
    }
    boolean ended =
        store.finishRootKeyRotation(
            running,
            envelope,
            auditKeys,
            new AuditEvent(
                clock.instant(),
                "server",
                "engine",
                END_ACTION,
                Optional.empty(),
                Optional.empty(),
                "ok",
                "root key rotation from "
                    + running.from()
                    + " to "
                    + running.to()
                    + " ended: every data key and the metadata key are wrapped by "
                    + running.to()
                    + " ("
                    + done
                    + " data keys rewrapped by this server)"));
    if (!ended) {
      return false;
    }
    Path retired = RootKeyFiles.finish(dataDir, running.from());
    dropCache.run();
    log.info(
        "root key rotation from {} to {} ended; the old key is kept in {}",
        running.from(),
        running.to(),
        retired);
    synchronized (this) {
      state = "idle";
      keyFile = dataDir.resolve(Bootstrap.ROOT_KEY_FILE).toString();
      note =
          "the old key is in "
              + retired
              + "; delete it once no copy of the database from before the rotation needs it";
    }
    return true;
  }

  /** Every audit chain key but the sealing one, wrapped by the new root key, one a line. */
  private String auditKeys() {
    StringBuilder out = new StringBuilder();
    for (String id : chain.keyIds().stream().sorted().toList()) {
      if (id.equals(chain.sealingKeyId())) {
        continue;
      }
      byte[] key = chain.chainKey(id);
      try {
        out.append(id)
            .append(' ')
            .append(Base64.getEncoder().encodeToString(envelope.wrapAuditKey(id, key)))
            .append('\n');
      } finally {
        Arrays.fill(key, (byte) 0);
      }
    }
    return out.toString();
  }

  /** Stops the rotation's thread (seal, shutdown); the rotation stays recorded. */
  @Override
  public void close() {
    Thread running;
    synchronized (this) {
      closed = true;
      running = worker;
    }
    if (running != null) {
      try {
        running.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
